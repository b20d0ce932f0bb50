-- sender_rule_at_mail: a sender rule decides at MAIL FROM, before any
-- recipient or content; a recipient rule at RCPT TO.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local r, stage = message(conn, {from = "<spam@blocked.example>"})
is(rname(r), "replycode", "sender refused with a reply")
is(stage, "mail", "at MAIL FROM")
ok(log_wait("blocked-sender"), "verdict logged although there is no queue id yet")
mt.disconnect(conn)

conn = session("public")
r, stage = message(conn, {qid = "BRCPT01", rcpts = {"<nobody@example.com>"}})
is(rname(r), "replycode", "recipient refused with a reply")
is(stage, "rcpt", "at RCPT TO")
ok(log_wait("blocked-rcpt"), "recipient verdict logged")
mt.disconnect(conn)
