-- accept_sender_at_mail: an accept rule on the sender lets the message go
-- at MAIL FROM (nothing else to do), so the screener reads none of it;
-- rules further down (the .exe reject) do not apply.
dofile(confdir .. "/tap.lua")

local conn = session("public")
is(rname(mail(conn, "<boss@trusted.example>", "", "")), "accept",
   "accepted at MAIL FROM")
ok(log_wait("trusted-sender"), "verdict logged")
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
