-- accept_rcpt_exempt: an accept on one recipient exempts that recipient
-- only; the content and sender rules still decide for the others
-- (issue 16, item 2).
dofile(confdir .. "/tap.lua")

-- victim@ with abuse@ added, an .exe attached: not accepted at RCPT.
local conn = session("public")
is(rname(mail(conn, "<mallory@evil.example>", "EXEMPT1")), "continue", "MAIL")
is(rname(rcpt(conn, "<victim@example.com>", "EXEMPT1")), "continue", "RCPT victim")
is(rname(rcpt(conn, "<abuse@example.com>", "EXEMPT1")), "continue",
   "RCPT abuse@: exempt, but the message is not accepted for everyone")
local r = headers(conn, mime_headers())
if r == SMFIR_CONTINUE then r = body(conn, mime_body("setup.exe")) end
if r == SMFIR_CONTINUE then r = eom(conn) end
is(rname(r), "replycode", "the .exe is refused (one reply to DATA covers both)")
ok(log_wait("action=reject rule=executables"), "verdict logged")
ok(log_wait("exempt_rcpts=1"), "the exempt recipient is counted in the verdict")
ok(log_wait("note=\"the verdict applies to the exempt recipients too\""),
   "and why it got the verdict too is logged")
mt.disconnect(conn)

-- abuse@ alone: exempt from the executables rule.
conn = session("public")
mail(conn, "<mallory@evil.example>", "EXEMPT2")
rcpt(conn, "<abuse@example.com>", "EXEMPT2")
r = headers(conn, mime_headers())
if r == SMFIR_CONTINUE then r = body(conn, mime_body("setup.exe")) end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "abuse@ alone gets the .exe (" .. rname(r) .. ")")
ok(log_wait("queue_id=EXEMPT2 direction=inbound action=accept rule=abuse-desk"),
   "accepted by the recipient's accept rule")
mt.disconnect(conn)

-- A sender reject: each other recipient refused at its RCPT, abuse@ kept.
conn = session("public")
is(rname(mail(conn, "<x@blocked.example>", "EXEMPT3")), "continue",
   "blocked sender: MAIL goes on while a recipient may be exempt")
is(rname(rcpt(conn, "<victim@example.com>", "EXEMPT3")), "replycode", "victim@ refused at RCPT")
is(rname(rcpt(conn, "<abuse@example.com>", "EXEMPT3")), "continue", "abuse@ accepted")
r = headers(conn, mime_headers())
if r == SMFIR_CONTINUE then r = body(conn, "hello\r\n") end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "delivered to abuse@ (" .. rname(r) .. ")")
ok(log_wait("rule=blocked recipient=victim@example.com"), "the refusal is logged")
mt.disconnect(conn)

-- A discard: only the others are removed.
conn = session("public")
mail(conn, "<x@spam.example>", "EXEMPT4")
rcpt(conn, "<victim@example.com>", "EXEMPT4")
rcpt(conn, "<abuse@example.com>", "EXEMPT4")
r = headers(conn, mime_headers())
if r == SMFIR_CONTINUE then r = body(conn, "hello\r\n") end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
is(rname(r), "continue", "discard with an exempt recipient: not a whole-message discard")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<victim@example.com>"), "victim@ removed")
ok(not mt.eom_check(conn, MT_RCPTDELETE, "<abuse@example.com>"), "abuse@ kept")
mt.disconnect(conn)

-- A redirect: the others go to the reviewer, abuse@ keeps its copy.
conn = session("public")
mail(conn, "<alice@sender.example>", "EXEMPT5")
rcpt(conn, "<victim@example.com>", "EXEMPT5")
rcpt(conn, "<abuse@example.com>", "EXEMPT5")
r = headers(conn, mime_headers("about the lawsuit"))
if r == SMFIR_CONTINUE then r = body(conn, "hello\r\n") end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
is(rname(r), "continue", "redirect accepted")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<victim@example.com>"), "victim@ redirected away")
ok(mt.eom_check(conn, MT_RCPTADD, "<review@example.com>"), "to the reviewer")
ok(not mt.eom_check(conn, MT_RCPTDELETE, "<abuse@example.com>"), "abuse@ keeps its copy")
mt.disconnect(conn)
