-- strip_attachment: action strip replaces the body with one that lacks
-- the matching part and carries a notice in its place; other parts are
-- left byte for byte.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local b = mime_body("run.bat", "QGVjaG8gb2ZmDQpybWRpciAvcyAvcSBjOlwNCg==\r\n")
local r, stage = message(conn, {qid = "9STRIP1", headers = mime_headers(),
                                body = {b}})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "accepted (" .. rname(r) .. ")")
is(stage, "eom", "applied at end of message")
ok(mt.eom_check(conn, MT_BODYCHANGE), "body replaced")
ok(not mt.eom_check(conn, MT_BODYCHANGE, b), "replacement differs from the original")
ok(log_wait("9STRIP1"), "verdict logged with the queue id")
mt.disconnect(conn)

-- The body arrives in many small chunks: the spool keeps them all.
conn = session("public")
mail(conn, "<alice@sender.example>")
rcpt(conn, "<bob@example.com>")
headers(conn, mime_headers())
local i = 1
while i <= #b do
    body(conn, string.sub(b, i, i + 6))
    i = i + 7
end
r = eom(conn)
ok(mt.eom_check(conn, MT_BODYCHANGE), "chunked body replaced too")
mt.disconnect(conn)
