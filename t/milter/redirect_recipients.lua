-- redirect_recipients: action redirect removes every recipient, adds the
-- redirect address and records the originals in a header.
dofile(confdir .. "/tap.lua")

local conn = session("public")
local r, stage = message(conn, {qid = "8REDIR1",
    rcpts = {"<bob@example.com>", "<carol@example.com>"},
    body = {"redirectme please\r\n"}})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "accepted (" .. rname(r) .. ")")
is(stage, "eom", "applied at end of message")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.com>"), "bob removed")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<carol@example.com>"), "carol removed")
ok(mt.eom_check(conn, MT_RCPTADD, "<review@example.com>"), "redirect address added")
ok(mt.eom_check(conn, MT_HDRADD, "X-Relayscreen-Original-Recipients",
                "bob@example.com, carol@example.com"), "original recipients recorded")
ok(log_wait("8REDIR1"), "verdict logged with the queue id")
mt.disconnect(conn)

-- Decided by a recipient rule at RCPT: recipients given after the
-- decision are removed too.
conn = session("public")
r, stage = message(conn, {qid = "8REDIR2",
    rcpts = {"<legal@example.com>", "<dave@example.com>"}})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "recipient-rule redirect accepted (" .. rname(r) .. ")")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<legal@example.com>"), "the matching recipient removed")
ok(mt.eom_check(conn, MT_RCPTDELETE, "<dave@example.com>"), "a later recipient removed too")
ok(mt.eom_check(conn, MT_RCPTADD, "<review@example.com>"), "redirect address added")
mt.disconnect(conn)
