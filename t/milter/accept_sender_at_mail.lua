-- accept_sender_at_mail: an accept rule on the (envelope) sender decides
-- at MAIL FROM; the screener answers "accept" at end of header, once it
-- has seen there is no forged screener field to delete, and reads none
-- of the body; rules further down (the .exe reject) do not apply.
dofile(confdir .. "/tap.lua")

local conn = session("public")
is(rname(mail(conn, "<boss@trusted.example>", "", "")), "continue",
   "decided at MAIL FROM, answered after the header")
rcpt(conn, "<bob@example.com>")
is(rname(headers(conn, mime_headers())), "accept", "accepted at end of header")
ok(log_wait("action=accept rule=trusted-sender"), "verdict logged")
mt.disconnect(conn)

-- The same content from anyone else is screened.
conn = session("public")
mail(conn, "<someone@sender.example>")
rcpt(conn, "<bob@example.com>")
headers(conn, mime_headers())
local r = body(conn, mime_body("setup.exe"))
if r == SMFIR_CONTINUE then r = eom(conn) end
is(rname(r), "replycode", "other senders: the .exe is refused")
mt.disconnect(conn)
