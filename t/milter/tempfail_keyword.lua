-- tempfail_keyword: a keyword rule with action tempfail answers 4xx with
-- the rule's reply, at the body chunk where the keyword appears.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local r, stage = message(conn, {qid = "5TEMPF1", body = {"first line\r\n",
                                "please deferme now\r\n", "never read\r\n"}})
is(rname(r), "replycode", "tempfailed with a reply")
is(stage, "body", "answered in the body chunk with the keyword")
ok(log_wait("5TEMPF1"), "verdict logged with the queue id")
ok(string.find(log_text(), "defer-word", 1, true) ~= nil, "log names the rule")
mt.disconnect(conn)

-- In the subject: answered at end of header.
conn = session("public")
r, stage = message(conn, {subject = "deferme please"})
is(rname(r), "replycode", "subject keyword tempfailed")
ok(stage == "header", "answered by end of header (" .. stage .. ")")
mt.disconnect(conn)
