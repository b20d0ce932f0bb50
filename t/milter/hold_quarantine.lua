-- hold_quarantine: action hold quarantines the message at end of message
-- (Postfix puts it in the hold queue); the rule is outbound only.
dofile(confdir .. "/tap.lua")

local conn = session("submission", "192.0.2.20")
local r, stage = message(conn, {qid = "7HOLD01", auth = "alice",
    body = {"this is confidential\r\n", "more text\r\n"}})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "accepted at end of message (" .. rname(r) .. ")")
is(stage, "eom", "decided at end of message")
ok(mt.eom_check(conn, MT_QUARANTINE), "quarantine requested")
ok(log_wait("7HOLD01"), "verdict logged with the queue id")
mt.disconnect(conn)

-- The same text inbound is not held.
conn = session("public", "192.0.2.10")
r, stage = message(conn, {body = {"this is confidential\r\n"}})
ok(not mt.eom_check(conn, MT_QUARANTINE), "inbound: no quarantine")
mt.disconnect(conn)
