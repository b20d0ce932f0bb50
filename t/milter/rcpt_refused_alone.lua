-- rcpt_refused_alone: a recipient rule that rejects refuses that RCPT
-- only; the recipients before and after it are accepted and the message
-- is delivered to them (one bad recipient must not block everyone else).
dofile(confdir .. "/tap.lua")

local conn = session("public")
is(rname(mail(conn, "<alice@sender.example>", "RALONE1")), "continue", "MAIL accepted")
is(rname(rcpt(conn, "<bob@example.com>", "RALONE1")), "continue", "first recipient accepted")
is(rname(rcpt(conn, "<nobody@example.com>", "RALONE1")), "replycode", "the blocked recipient alone is refused")
is(rname(rcpt(conn, "<carol@example.com>", "RALONE1")), "continue", "a later recipient is still accepted")
is(rname(headers(conn, {{"From", "alice@sender.example"}, {"To", "bob@example.com"},
                        {"Subject", "hello"}})), "continue", "headers go on")
is(rname(body(conn, "hello\r\n")), "continue", "body goes on")
local r = eom(conn)
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "the message is delivered to the others (" .. rname(r) .. ")")
ok(log_wait("rule=blocked-rcpt recipient=nobody@example.com"), "the refusal is logged with its recipient")
-- the message's own verdict line (no recipient= field) is no reject
local message_rejected = false
for line in string.gmatch(log_text(), "[^\n]+") do
    if string.find(line, "queue_id=RALONE1", 1, true)
       and string.find(line, "action=reject", 1, true)
       and not string.find(line, "recipient=", 1, true) then
        message_rejected = true
    end
end
ok(not message_rejected, "the message's own verdict is not a reject")
mt.disconnect(conn)
