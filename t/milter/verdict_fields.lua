-- verdict_fields: verdict lines carry the client address and the
-- Message-ID, escaped and capped (issue 13); a refusal at RCPT carries
-- the client too.
dofile(confdir .. "/tap.lua")

local conn = session("public", "192.0.2.77")
local r = message(conn, {qid = "VFIELD1", headers = {{"From", "a@sender.example"},
    {"Subject", "x"}, {"Message-ID", "<abc.123@sender.example>"}}})
ok(log_wait("queue_id=VFIELD1"), "verdict logged")
local line = string.match(log_text(), "[^\n]*queue_id=VFIELD1[^\n]*")
ok(line ~= nil and string.find(line, "client=192.0.2.77", 1, true) ~= nil, "client address")
ok(line ~= nil and string.find(line, "message_id=<abc.123@sender.example>", 1, true) ~= nil,
   "Message-ID")
mt.disconnect(conn)

-- A hostile Message-ID: control characters escaped, length capped.
conn = session("public", "2001:db8::9")
r = message(conn, {qid = "VFIELD2", headers = {{"From", "a@sender.example"},
    {"Message-ID", "<x\027[31m" .. string.rep("A", 900) .. "@evil>"}}})
ok(log_wait("queue_id=VFIELD2"), "verdict logged")
line = string.match(log_text(), "[^\n]*queue_id=VFIELD2[^\n]*")
ok(line ~= nil and string.find(line, "\027", 1, true) == nil, "no raw escape byte")
ok(line ~= nil and #line < 1200, "line capped (" .. (line and #line or 0) .. " bytes)")
ok(line ~= nil and string.find(line, "client=2001:db8::9", 1, true) ~= nil, "IPv6 client")
mt.disconnect(conn)

-- A recipient refused alone at RCPT: the client is named.
conn = session("public", "192.0.2.78")
mail(conn, "<a@sender.example>", "VFIELD3")
rcpt(conn, "<nobody@example.com>", "VFIELD3")
ok(log_wait("recipient=nobody@example.com"), "refusal logged")
line = string.match(log_text(), "[^\n]*recipient=nobody@example.com[^\n]*")
ok(line ~= nil and string.find(line, "client=192.0.2.78", 1, true) ~= nil, "with the client")
mt.disconnect(conn)
