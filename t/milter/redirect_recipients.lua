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
