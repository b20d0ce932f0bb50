-- discard_keyword: action discard: Postfix answers 250 and delivers
-- nowhere; the milter says DISCARD and logs the verdict.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local r, stage = message(conn, {qid = "6DISC01", body = {"hello\r\n", "discardme\r\n"}})
is(rname(r), "discard", "message discarded")
is(stage, "body", "at the body chunk with the keyword")
ok(log_wait("6DISC01"), "verdict logged with the queue id")
ok(string.find(log_text(), "discard", 1, true) ~= nil, "log says discard")
mt.disconnect(conn)
