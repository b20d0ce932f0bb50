-- client_readings: every issue 8 case of t/engine/cases.txt (the lines
-- after "# issue 8") through the milter, as Postfix hands it over: the
-- top-level header fields one by one, then the body in chunks (one
-- chunk, and 7-byte chunks), with the verdict of the table asserted by
-- the reply and by the rule name in the verdict log line.
dofile(confdir .. "/tap.lua")

local edir = confdir .. "/../engine"

local function read_file(path)
    local f = assert(io.open(path, "rb"))
    local t = f:read("*a")
    f:close()
    return t
end

-- Header fields (unfolded as Postfix gives them) and the body.
local function split_message(raw)
    local sep = string.find(raw, "\r\n\r\n", 1, true)
    local hdr, body, eol = nil, nil, "\r\n"
    local lf = string.find(raw, "\n\n", 1, true)
    if sep == nil or (lf ~= nil and lf < sep) then
        hdr, body, eol = string.sub(raw, 1, lf), string.sub(raw, lf + 2), "\n"
    else
        hdr, body = string.sub(raw, 1, sep + 1), string.sub(raw, sep + 4)
    end
    local fields = {}
    for line in string.gmatch(hdr, "([^\n]*)\n") do
        line = string.gsub(line, "\r$", "")
        if string.match(line, "^[ \t]") and #fields > 0 then
            fields[#fields][2] = fields[#fields][2] .. "\r\n" .. line
        else
            local name, value = string.match(line, "^([^:]+):[ \t]?(.*)$")
            if name then fields[#fields + 1] = {name, value} end
        end
    end
    -- Postfix hands the body over with CRLF line ends.
    if eol == "\n" then body = string.gsub(body, "\r?\n", "\r\n") end
    return fields, body
end

local function log_has(qid, rule)
    for _ = 1, 100 do
        for line in string.gmatch(log_text(), "[^\n]+") do
            if string.find(line, "queue_id=" .. qid, 1, true)
               and string.find(line, "rule=" .. rule, 1, true) then
                return true
            end
        end
        mt.sleep(0.05)
    end
    return false
end

local n = 0
local function run(msg, action, rule, chunk)
    n = n + 1
    local qid = string.format("8CR%04d", n)
    local fields, body = split_message(read_file(edir .. "/msgs/" .. msg))
    local conn = session("public", "192.0.2.10")
    local r = mail(conn, "<alice@sender.example>", qid, "")
    if r == SMFIR_CONTINUE then r = rcpt(conn, "<bob@example.com>", qid) end
    if r == SMFIR_CONTINUE then r = headers(conn, fields) end
    local pos = 1
    while r == SMFIR_CONTINUE and pos <= #body do
        r = body_chunk(conn, string.sub(body, pos, pos + chunk - 1))
        pos = pos + chunk
    end
    if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
    local what = msg .. " (chunk " .. chunk .. ")"
    if action == "reject" or action == "tempfail" then
        is(rname(r), "replycode", what .. ": " .. action .. " reply")
    elseif action == "discard" then
        is(rname(r), "discard", what .. ": discarded")
    elseif action == "hold" then
        ok((r == SMFIR_CONTINUE or r == SMFIR_ACCEPT)
           and mt.eom_check(conn, MT_QUARANTINE), what .. ": held")
    end
    ok(log_has(qid, rule), what .. ": verdict names rule " .. rule)
    mt.disconnect(conn)
end

-- Through a file: mt.bodystring stops at a NUL byte.
function body_chunk(conn, text)
    local path = tmpdir .. "/chunk"
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    if mt.bodyfile(conn, path) ~= nil then error("mt.bodyfile failed") end
    return mt.getreply(conn)
end

local on = false
for line in io.lines(edir .. "/cases.txt") do
    if string.find(line, "^# issue 8") then
        on = true
    elseif on and not string.find(line, "^#") and string.find(line, "|", 1, true) then
        local msg, args, action, rule = string.match(line,
            "^%s*(%S+)%s*|%s*(.-)%s*|%s*(%S+)%s*|%s*(%S+)%s*$")
        if msg and args == "" then
            run(msg, action, rule, 65536)
            run(msg, action, rule, 7)
        end
    end
end
ok(n > 80, "issue 8 cases found in cases.txt (" .. n .. " runs)")
