-- audit_mode: rules in audit mode are evaluated and logged with audit=1
-- and what they would have done; the message goes on as if they did not
-- exist (issue 13).  One rule with mode = "enforce" still acts.
dofile(confdir .. "/tap.lua")

local conn = session("public")
is(rname(mail(conn, "<x@spam.example>", "AUDIT1")), "continue", "MAIL: audit discard does not act")
is(rname(rcpt(conn, "<nobody@example.com>", "AUDIT1")), "continue",
   "RCPT: the audit recipient reject refuses nothing")
is(rname(rcpt(conn, "<abuse@example.com>", "AUDIT1")), "continue", "RCPT abuse@")
local r = headers(conn, mime_headers("report"))
if r == SMFIR_CONTINUE then r = body(conn, mime_body("setup.exe")) end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
is(rname(r), "continue", "the .exe goes through")
ok(not mt.eom_check(conn, MT_BODYCHANGE), "nothing stripped")
ok(not mt.eom_check(conn, MT_HDRADD, "X-Screener"), "no tag header")
ok(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "no subject prefix")
ok(not mt.eom_check(conn, MT_RCPTDELETE, "<nobody@example.com>"), "no recipient removed")
for _, w in ipairs({"action=discard rule=discard-new audit=1",
                    "action=reject rule=blocked-rcpt audit=1",
                    "action=reject rule=exe-new audit=1",
                    "action=strip rule=strip-new audit=1",
                    "action=tag rule=tag-new audit=1"}) do
    ok(log_wait(w), "logged: " .. w)
end
ok(log_wait("queue_id=AUDIT1 direction=inbound action=pass rule=-"),
   "and the message's own verdict is pass")
mt.disconnect(conn)

conn = session("public")
r = message(conn, {qid = "AUDIT2", subject = "holdme"})
is(rname(r), "continue", "enforced rule: accepted for hold")
ok(mt.eom_check(conn, MT_QUARANTINE), "held")
mt.disconnect(conn)
