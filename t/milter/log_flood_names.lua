-- log_flood_names: parts whose names hide bidi or zero-width characters
-- are logged a few times per message, then summarised, not one line per
-- part (issue 16, item 5).
dofile(confdir .. "/tap.lua")

-- in chunks of 100 parts (a milter body chunk is at most 64 KB)
local chunks, parts = {}, {}
for i = 1, 900 do
    parts[#parts + 1] = "--XYZ\r\nContent-Type: application/octet-stream; name=\"f" .. i ..
        "\226\128\139.txt\"\r\nContent-Disposition: attachment\r\n\r\nx\r\n"
    if #parts == 100 then chunks[#chunks + 1] = table.concat(parts); parts = {} end
end
chunks[#chunks + 1] = "--XYZ--\r\n"

local conn = session("public")
local h = mime_headers("many names")
local r = message(conn, {qid = "FLOOD1", headers = h, body = chunks})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "message with 900 such parts accepted (" .. rname(r) .. ")")
ok(log_wait("queue_id=FLOOD1"), "verdict logged")
local n = 0
for _ in string.gmatch(log_text(), "hidden control characters %(bidi or zero width%)") do
    n = n + 1
end
ok(n <= 5, "at most 5 per-part lines (" .. n .. ")")
ok(log_wait("895 more parts with hidden control characters"), "the rest summarised")
ok(log_wait("hidden_names=900"), "the verdict line counts them all")
mt.disconnect(conn)
