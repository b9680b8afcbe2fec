"""distcc_master's files/distrant_eval_memo.py: a computed include's evaluation kept while its macros are unchanged.

The evaluator below reads the symbol table the way distcc's include server (macro_eval.py) does: ``symbol in
table`` and ``table[symbol]``, recursively, over every definition seen (a "forall" expansion), with the unexpanded
text always a possible value. The memo must return exactly what a fresh evaluation returns, for every change the
include server makes to its table (it only appends definitions, and it may start a new table).
"""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

HERE = os.path.dirname(__file__)
MEMO = os.path.join(HERE, "..", "..", "..", "roles", "distcc_master", "files", "distrant_eval_memo.py")
SYMBOL = re.compile(r"\b[A-Za-z_]\w*\b")


def load():
    spec = importlib.util.spec_from_file_location("distrant_eval_memo", MEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expand(expr, table, disabled=frozenset()):
    """All possible values of expr: each symbol left alone or replaced by each of its definitions."""
    match = SYMBOL.search(expr)
    if not match:
        return {expr}
    before, symbol, after = expr[:match.start()], match.group(), expr[match.end():]
    rests = expand(after, table, disabled)
    values = {before + symbol + rest for rest in rests}
    if symbol in table and symbol not in disabled:
        for definition in table[symbol]:
            for value in expand(definition, table, disabled | {symbol}):
                values |= {before + value + rest for rest in rests}
    return values


class Counted:
    def __init__(self):
        self.calls = 0

    def __call__(self, expr, table):
        self.calls += 1
        return expand(expr, table)


@pytest.fixture
def memo():
    return load()


def tracepoint_table():
    return {
        "TRACE_INCLUDE": ["__stringify(TRACE_INCLUDE_PATH/system.h)"],
        "TRACE_INCLUDE_FILE": ["TRACE_SYSTEM"],
        "TRACE_SYSTEM": ["sched"],
    }


def started(memo):
    """A counted evaluation, the memo over it, and a table as the tracepoint headers leave it."""
    evaluate = Counted()
    return evaluate, memo.memoize(evaluate, environ={}), tracepoint_table()


def test_same_answer_computed_once_while_nothing_changes(memo):
    evaluate, once, table = started(memo)
    first = once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table)
    assert first == expand("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table)
    for _round in range(5):
        assert once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table) == first
    assert evaluate.calls == 1
    # another expression is its own evaluation
    once("TRACE_SYSTEM", table)
    assert evaluate.calls == 2


def test_a_new_definition_of_a_macro_it_read_evaluates_again(memo):
    evaluate, once, table = started(memo)
    once("TRACE_INCLUDE_FILE", table)
    table["TRACE_SYSTEM"].append("irq")  # a new tracepoint header parsed: #define TRACE_SYSTEM irq
    again = once("TRACE_INCLUDE_FILE", table)
    assert "irq" in again and again == expand("TRACE_INCLUDE_FILE", table)
    assert evaluate.calls == 2


def test_a_first_definition_of_a_symbol_it_found_undefined_evaluates_again(memo):
    evaluate, once, table = started(memo)
    before = once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table)
    table["TRACE_INCLUDE_PATH"] = ["trace/events"]
    after = once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table)
    assert after == expand("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table) and after > before
    assert evaluate.calls == 2


def test_a_definition_it_never_read_keeps_the_answer(memo):
    evaluate, once, table = started(memo)
    first = once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table)
    table["KBUILD_MODNAME"] = ['"fork"']  # the next compile's -D, unrelated to the expression
    table["KBUILD_MODNAME"].append('"exit"')
    assert once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", table) == first
    assert evaluate.calls == 1


def test_a_replaced_definition_list_or_a_new_table_evaluates_again(memo):
    evaluate, once, table = started(memo)
    once("TRACE_INCLUDE_FILE", table)
    table["TRACE_SYSTEM"] = ["timer"]  # same length, another list
    assert once("TRACE_INCLUDE_FILE", table) == expand("TRACE_INCLUDE_FILE", table)
    assert evaluate.calls == 2
    fresh = tracepoint_table()  # the include server cleared its caches
    assert once("TRACE_INCLUDE_FILE", fresh) == expand("TRACE_INCLUDE_FILE", fresh)
    assert evaluate.calls == 3


def test_the_caller_cannot_change_what_is_kept(memo):
    evaluate, once, table = started(memo)
    answer = once("TRACE_INCLUDE_FILE", table)
    answer.add("tampered")
    assert "tampered" not in once("TRACE_INCLUDE_FILE", table)


def test_undefined_symbols_read_through_the_recorder_raise_as_a_dict_does(memo):
    recorder = memo._Recorder({"A": ["1"]})
    assert "A" in recorder and "B" not in recorder
    with pytest.raises(KeyError):
        recorder["B"]  # pylint: disable=pointless-statement
    assert set(recorder.seen) == {"A", "B"}


def test_many_random_changes_always_match_a_fresh_evaluation(memo):
    import random  # pylint: disable=import-outside-toplevel

    rng = random.Random(1)
    evaluate = Counted()
    once = memo.memoize(evaluate, environ={})
    table = {}
    names = ["A", "B", "C", "D"]
    exprs = ["A(B)", "C D", "D", "A B"]
    for _round in range(200):
        if rng.random() < 0.3:
            name = rng.choice(names)
            table.setdefault(name, []).append(rng.choice(names + ["x", '"f.h"', "<g.h>"]))
        expr = rng.choice(exprs)
        assert once(expr, table) == expand(expr, table)
    assert evaluate.calls < 200


def test_off_with_the_switch(memo):
    assert memo.memoize(Counted(), environ={}).distrant_evaluate is not None
    evaluate = Counted()
    assert memo.memoize(evaluate, environ={"DISTRANT_DISTCC_NO_MEMO": "1"}) is evaluate
    assert memo.memoize(evaluate, environ={"DISTRANT_DISTCC_NO_MEMO": "0"}) is not evaluate


def test_the_switch_is_read_from_the_include_servers_environment(memo, monkeypatch):
    evaluate = Counted()
    monkeypatch.setenv("DISTRANT_DISTCC_NO_MEMO", "1")
    assert memo.memoize(evaluate) is evaluate
    monkeypatch.delenv("DISTRANT_DISTCC_NO_MEMO")
    assert memo.memoize(evaluate) is not evaluate


def test_a_new_table_lets_the_old_results_go(memo):
    once = memo.memoize(Counted(), environ={})
    old = tracepoint_table()
    once("TRACE_INCLUDE_FILE", old)
    once("TRACE_SYSTEM", old)
    new = tracepoint_table()
    once("TRACE_INCLUDE(TRACE_INCLUDE_FILE)", new)  # an expression not asked before
    assert list(once.distrant_kept) == ["TRACE_INCLUDE(TRACE_INCLUDE_FILE)"]
