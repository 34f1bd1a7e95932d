-- wrk script: GET /v1/posicoes/{codigo_barra}/{filial} over the keys of `estoque load`'s generated
-- catalog ("789" + 9-digit product index + GTIN check digit; branches "1001", "1002", ...).
-- Usage: wrk -t1 -c64 -d10s --latency -s bench/wrk_point_query.lua http://127.0.0.1:8080 -- PRODUCTS BRANCHES
local products, branches = 1000, 2

local function gtin(body)
  -- GTIN mod-10: from the right, weights 3,1,3,1...
  local sum, weight = 0, 3
  for i = #body, 1, -1 do
    sum = sum + tonumber(body:sub(i, i)) * weight
    weight = 4 - weight
  end
  return body .. tostring((10 - sum % 10) % 10)
end

function init(args)
  products = tonumber(args[1] or products)
  branches = tonumber(args[2] or branches)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

-- Requests are prebuilt in init so that the client spends its CPU on I/O, not on Lua.
local requests, count, next_index = {}, 20000, 1

function setup_requests()
  for i = 1, count do
    local body = string.format("789%09d", math.random(0, products - 1))
    local path = "/v1/posicoes/" .. gtin(body) .. "/" .. tostring(1001 + math.random(0, branches - 1))
    requests[i] = wrk.format("GET", path)
  end
end

function request()
  if #requests == 0 then setup_requests() end
  local r = requests[next_index]
  next_index = next_index % count + 1
  return r
end
