-- wrk script: bench/wrk_point_query.lua with a pause of PAUSE_MS (default 5) before every request,
-- so each connection offers about 1000 / PAUSE_MS GETs per second (a steady reader beside a load
-- test, not a maximum). Usage: wrk ... -s bench/wrk_point_query_paced.lua URL -- PRODUCTS BRANCHES [PAUSE_MS]
dofile("bench/wrk_point_query.lua")
local base_init = init
local pause_ms = 5
function init(args)
  base_init(args)
  pause_ms = tonumber(args[3] or pause_ms)
end
function delay()
  return pause_ms
end
