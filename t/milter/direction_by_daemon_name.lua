-- direction_by_daemon_name: the same message is inbound through the
-- public listener and outbound through submission (by {daemon_name}),
-- after SMTP AUTH ({auth_authen}) and from an outbound network; each
-- direction gets its own verdict.
dofile(confdir .. "/tap.lua")

local function send(daemon, ip, auth)
    local conn = session(daemon, ip)
    mail(conn, "<alice@sender.example>", "", auth)
    rcpt(conn, "<bob@example.com>")
    headers(conn, mime_headers())
    local r = body(conn, mime_body("tool.exe"))
    if r == SMFIR_CONTINUE then r = eom(conn) end
    mt.disconnect(conn)
    return r
end

is(rname(send("public", "192.0.2.10", "")), "replycode", "public listener: inbound rule refuses the .exe")
is(rname(send("submission", "192.0.2.10", "")), "continue", "submission listener: outbound, accepted")
is(rname(send("public", "192.0.2.10", "alice")), "continue", "authenticated: outbound, accepted")
is(rname(send("public", "10.1.2.3", "")), "continue", "outbound network: outbound, accepted")
