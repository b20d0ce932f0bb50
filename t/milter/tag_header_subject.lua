-- tag_header_subject: action tag adds the configured header and prefixes
-- the subject; the message is otherwise accepted.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local r, stage = message(conn, {qid = "ATAG001", subject = "quarterly numbers"})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "accepted (" .. rname(r) .. ")")
ok(mt.eom_check(conn, MT_HDRADD, "X-Relayscreen", "inbound"), "tag header added")
ok(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[EXT] quarterly numbers"), "subject prefixed")
mt.disconnect(conn)

-- Already prefixed (a reply): not prefixed twice.
conn = session("public")
r, stage = message(conn, {subject = "[EXT] quarterly numbers"})
ok(not mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "no double prefix")
mt.disconnect(conn)

-- Outbound: the inbound tag rule does not apply.
conn = session("submission", "192.0.2.20")
r, stage = message(conn, {auth = "alice", subject = "quarterly numbers"})
ok(not mt.eom_check(conn, MT_HDRADD, "X-Relayscreen"), "outbound: no tag")
mt.disconnect(conn)
