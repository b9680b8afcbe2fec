"""Check distcc_master's include server: its memoized macro evaluation answers as distcc's own.

Run on a master: python3 eval_memo_check.py PUMP_PATH LINUX_TREE [HEADERS]. It parses Linux's tracepoint
headers with the include server's own parser, one after another as a build meets them (each one adds a
TRACE_SYSTEM definition), and after each one evaluates every computed include of include/trace/ with the
installed (memoized) EvalExpression and with distcc's evaluation it wraps. Prints one JSON line; exits 1 on
any difference.
"""

import glob
import json
import os
import sys
import time


def main():
    pump, tree = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    sys.path.insert(0, os.path.join(pump, "include_server"))
    import cache_basics  # pylint: disable=import-outside-toplevel,import-error
    import macro_eval  # pylint: disable=import-outside-toplevel,import-error
    import parse_file  # pylint: disable=import-outside-toplevel,import-error

    memoized = macro_eval.EvalExpression
    original = getattr(memoized, "distrant_evaluate", None)
    if original is None:
        print(json.dumps({"error": "the include server's EvalExpression is not distrant_eval_memo's"}))
        return 1
    calls = {"original": 0}

    def counted(expr, table):
        calls["original"] += 1
        return original(expr, table)

    # a second memo, the same code, over a counted evaluation: how often distcc's own runs behind it
    once = sys.modules["distrant_eval_memo"].memoize(counted, environ={})
    parser = parse_file.ParseFile(cache_basics.MapToIndex())
    table = {}
    exprs = set()
    for name in ("define_trace.h", "trace_events.h", "perf.h"):  # those of them this kernel has
        path = os.path.join(tree, "include", "trace", name)
        if os.path.isfile(path):
            exprs.update(parser.Parse(path, table)[2])
    headers = sorted(glob.glob(os.path.join(tree, "include", "trace", "events", "*.h")))[:count]
    asked = differ = 0
    seconds = {"memo": 0.0, "distcc": 0.0}
    values = set()
    for header in headers:
        parser.Parse(header, table)
        for _round in range(3):  # a build asks for each computed include on several lines and for several compiles
            for expr in sorted(exprs):
                once(expr, table)  # counts distcc's evaluations behind a memo
                start = time.process_time()
                got = memoized(expr, table)  # the include server's own
                seconds["memo"] += time.process_time() - start
                start = time.process_time()
                want = original(expr, table)
                seconds["distcc"] += time.process_time() - start
                asked += 1
                values |= want
                differ += got != want
    print(json.dumps({"headers": len(headers), "expressions": sorted(exprs), "asked": asked,
                      "evaluated": calls["original"], "differ": differ, "distinct_values": len(values),
                      "trace_systems": len(table.get("TRACE_SYSTEM", [])),
                      "seconds": {k: round(v, 3) for k, v in seconds.items()}}))
    return 1 if differ or not exprs else 0


sys.exit(main())
