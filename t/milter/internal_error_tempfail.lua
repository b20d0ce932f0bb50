-- internal_error_tempfail: an internal error (here: a strip needs a body
-- larger than milter.spool_max) gets limits.on_error, tempfail by
-- default: never a silent accept.
dofile(confdir .. "/tap.lua")

local big = string.rep("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n", 200)
local conn = session("public")
local r, stage = message(conn, {qid = "CERR001", headers = mime_headers(),
                                body = {mime_body("run.bat", big)}})
is(rname(r), "replycode", "tempfailed with a reply")
is(stage, "eom", "at end of message")
ok(log_wait("action=tempfail"), "logged as tempfail (limits.on_error)")
ok(not mt.eom_check(conn, MT_BODYCHANGE), "body not changed")
ok(log_wait("spool_max"), "the reason is logged")
ok(string.find(log_text(), "CERR001", 1, true) ~= nil, "with the queue id")
mt.disconnect(conn)

-- A body within the spool limit is stripped as usual.
conn = session("public")
r, stage = message(conn, {headers = mime_headers(), body = {mime_body("run.bat", "QUJD\r\n")}})
ok(mt.eom_check(conn, MT_BODYCHANGE), "small body stripped")
mt.disconnect(conn)
