-- reject_exe_attachment: an inbound message with an .exe attachment is
-- refused with the rule's reply as soon as the engine decides: a rule on
-- names, extensions or types decides when the part's header is complete,
-- in that body chunk, so the attachment's body is never read.
dofile(confdir .. "/tap.lua")

local conn = session("public", "192.0.2.10")
is(rname(mail(conn, "<alice@sender.example>", "", "")), "continue", "MAIL accepted")
is(rname(rcpt(conn, "<bob@example.com>", "4ABCDE1")), "continue", "RCPT accepted")
is(rname(headers(conn, mime_headers())), "continue", "headers accepted")
local b = mime_body("setup.exe")
local cut = string.find(b, "base64\r\n\r\n", 1, true) + 10
local r = body(conn, string.sub(b, 1, cut))
is(rname(r), "replycode", "refused in the chunk that completes the part header, before its body")
ok(log_wait("4ABCDE1"), "verdict logged with the queue id")
ok(string.find(log_text(), "exe-inbound", 1, true) ~= nil, "log names the rule")
mt.disconnect(conn)

-- At end of message too (the attachment arrives in the last chunk).
conn = session("public", "192.0.2.10")
mail(conn, "<alice@sender.example>")
rcpt(conn, "<bob@example.com>")
headers(conn, mime_headers())
r = body(conn, mime_body("report.pdf.exe"))
if r == SMFIR_CONTINUE then r = eom(conn) end
is(rname(r), "replycode", "double extension refused")
mt.disconnect(conn)

-- A harmless attachment passes.
conn = session("public", "192.0.2.10")
mail(conn, "<alice@sender.example>")
rcpt(conn, "<bob@example.com>")
headers(conn, mime_headers())
is(rname(body(conn, mime_body("report.pdf"))), "continue", "pdf body accepted")
r = eom(conn)
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "pdf message accepted (" .. rname(r) .. ")")
mt.disconnect(conn)
