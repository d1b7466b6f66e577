# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/check_c_sites.py on small made-up trees and pages.

Each test writes a kernel tree or two (io_uring/*.c), a core under
io_uring_rs/uring/ and a page with a table in the form of review-7.2.rst or
locking.rst, then runs the checker on them. If KSRC_6_12 and KSRC_7_2 name
real trees, one more test checks the repository's own pages against them.
"""

import contextlib
import io
import os
import tempfile
import textwrap
import unittest

from scripts import check_c_sites as chk

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# 7.2's timeout.c, shortened. Line numbers matter: see the tests.
TIMEOUT_72 = """\
// SPDX-License-Identifier: GPL-2.0
static inline void io_remove_next_linked(struct io_kiocb *req);

static void io_req_task_link_timeout(struct io_tw_req tw_req,
\t\t\t\t     io_tw_token_t tw)
{
\t/* a brace in a comment: { */
\tif (prev->link == req)
\t\tprev->link = req->link;
\treq->link = NULL;
}

bool io_match_task_safe(struct io_kiocb *head)
{
\treturn io_match_task(head);
}

static bool io_match_task(struct io_kiocb *head)
\t__must_hold(&head->ctx->timeout_lock)
{
\treturn true;
}
"""

# 6.12's: the same function two lines further down.
TIMEOUT_612 = "// SPDX-License-Identifier: GPL-2.0\n\n\n" + TIMEOUT_72.split("\n", 1)[1]

LINK_RS = """\
// SPDX-License-Identifier: GPL-2.0
use crate::uring::model::ring::UringGuard;

pub(crate) fn io_req_task_link_timeout<'id>(
    lt: ReqArc<'id>,
    terminate: bool,
    g: &mut UringGuard<'_, 'id>,
) {
    // fn io_not_here(): a comment is no definition.
}

pub(crate) fn io_match_task_safe<'id>(
    head: ReqPin<'_, 'id>,
    matches: impl FnMut(ReqPin<'_, 'id>, &mut AtomicCtx) -> bool,
    chain: &ChainRead<'_, 'id>,
) -> bool {
    true
}

impl Helper {
    fn io_method_only(&self) {}
}
"""

REQ_RS = """\
// SPDX-License-Identifier: GPL-2.0
mod claim;

pub(crate) use claim::{io_link_timeout_claim, LiveTarget};

pub(crate) trait ReqView<'id>: sealed::View<'id> {
    fn remove_next_linked(&self, proof: &mut ChainWrite<'_, 'id>) -> Option<ReqRef<'id>> {
        None
    }
}
"""

CLAIM_RS = """\
// SPDX-License-Identifier: GPL-2.0
pub(crate) fn io_link_timeout_claim<'r, 'id>(ring: Ring<'r, 'id>, cx: AtomicCtx) {}

impl<'id> LiveTarget<'id> {
    pub(crate) fn splice(self, lt: &ReqArc<'id>, b: &mut BothGuard<'_, 'id>) {}
}
"""

REVIEW_HEAD = """\
.. SPDX-License-Identifier: GPL-2.0

Links
=====

.. list-table::
   :header-rows: 1
   :widths: 16 9 9 28 22 16

   * - C function
     - 7.2
     - 6.12
     - Locks in 7.2
     - Rust
     - Evidence
"""

GOOD_ROW = """\
   * - ``io_req_task_link_timeout``
     - timeout.c:4
     - timeout.c:6
     - task work; splices with ``uring_lock`` alone,
       7.2 timeout.c:8-10 (``io_req_task_link_timeout``)
     - ``lifecycle::link::io_req_task_link_timeout``,
       ``model::req::LiveTarget::splice``
     - ``&mut UringGuard<'_, 'id>``
"""


class Tree:
    """A made-up repository and two kernel trees in a temporary directory."""

    def __init__(self, d):
        self.d = d
        self.repo = os.path.join(d, "repo")
        self.trees = {"6.12": os.path.join(d, "k612"), "7.2": os.path.join(d, "k72")}
        self.write("k72/io_uring/timeout.c", TIMEOUT_72)
        self.write("k612/io_uring/timeout.c", TIMEOUT_612)
        self.write("repo/io_uring_rs/uring/lifecycle/link.rs", LINK_RS)
        self.write("repo/io_uring_rs/uring/model/req.rs", REQ_RS)
        self.write("repo/io_uring_rs/uring/model/req/claim.rs", CLAIM_RS)

    def write(self, rel, text):
        path = os.path.join(self.d, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def page(self, text, name="Documentation/review.rst"):
        self.write(os.path.join("repo", name), text)
        return name

    def check(self, text):
        problems, counts = chk.check(self.repo, self.trees, (self.page(text),))
        return problems, counts


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.t = Tree(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def assertOne(self, problems, *words):
        self.assertEqual(len(problems), 1, problems)
        for w in words:
            self.assertIn(w, problems[0])


class TableParse(CheckerTest):
    def test_sample_table(self):
        tables = chk.parse_list_tables(REVIEW_HEAD + GOOD_ROW + "\nAfter the table.\n")
        self.assertEqual(len(tables), 1)
        t = tables[0]
        self.assertEqual(t.header,
                         ["C function", "7.2", "6.12", "Locks in 7.2", "Rust", "Evidence"])
        self.assertEqual(len(t.rows), 1)
        cells = t.rows[0].cells
        self.assertEqual(cells[0], "``io_req_task_link_timeout``")
        self.assertEqual(cells[1], "timeout.c:4")
        # A continued cell is joined with a space.
        self.assertEqual(cells[3], "task work; splices with ``uring_lock`` alone, "
                         "7.2 timeout.c:8-10 (``io_req_task_link_timeout``)")
        self.assertEqual(t.rows[0].line, 16)
        self.assertEqual(chk.table_columns(t.header),
                         {"c": 0, "7.2": 1, "6.12": 2, "rust": 4, "evidence": 5})

    def test_other_tables_are_ignored(self):
        text = (".. list-table::\n   :header-rows: 1\n\n   * - Class\n     - Closed by\n"
                "   * - 1. io_uring.c:1\n     - nothing\n")
        self.assertIsNone(chk.table_columns(chk.parse_list_tables(text)[0].header))

    def test_locking_form(self):
        text = textwrap.dedent("""\
            .. list-table::
               :header-rows: 1

               * - C site (6.12; 7.2 file:line)
                 - Context
                 - Rust
                 - Proof
               * - ``io_match_task_safe`` (6.12 timeout.c:15; 7.2 timeout.c:13),
                   ``io_match_task`` (6.12: ``io_match_task`` timeout.c:20;
                   7.2 timeout.c:18)
                 - none
                 - ``lifecycle::link::io_match_task_safe``
                 - ``&ChainRead``
            """)
        problems, (rows, cites, rust) = self.t.check(text)
        self.assertEqual(problems, [])
        self.assertEqual((rows, cites, rust), (1, 4, 1))


class CSide(CheckerTest):
    def test_correct_row_passes(self):
        problems, (rows, cites, rust) = self.t.check(REVIEW_HEAD + GOOD_ROW)
        self.assertEqual(problems, [])
        self.assertEqual((rows, cites, rust), (1, 3, 2))

    def test_line_moved_by_one_is_reported(self):
        row = GOOD_ROW.replace("timeout.c:4\n", "timeout.c:5\n")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "7.2 timeout.c:5", "does not start io_req_task_link_timeout()",
                       "defined at line 4")

    def test_line_checked_in_the_tree_of_its_kernel(self):
        # 6.12's definition is at line 6; citing 7.2's line for it fails.
        row = GOOD_ROW.replace("timeout.c:6\n", "timeout.c:4\n")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "6.12 timeout.c:4", "defined at line 6")

    def test_prototype_is_no_definition(self):
        row = GOOD_ROW.replace("``io_req_task_link_timeout``\n     - timeout.c:4",
                               "``io_remove_next_linked``\n     - timeout.c:2")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertTrue(any("7.2 timeout.c:2" in p and "no definition" in p for p in problems),
                        problems)

    def test_name_must_not_be_part_of_a_longer_name(self):
        # Line 13 defines io_match_task_safe; io_match_task is at line 18.
        self.assertIsNone(chk.CFile(os.path.join(self.t.trees["7.2"], "io_uring/timeout.c"))
                          .definition_at("io_match_task", 13))
        self.assertEqual(chk.CFile(os.path.join(self.t.trees["7.2"], "io_uring/timeout.c"))
                         .definition_at("io_match_task", 18), 22)

    def test_call_inside_a_body_is_no_definition(self):
        cfile = chk.CFile(os.path.join(self.t.trees["7.2"], "io_uring/timeout.c"))
        self.assertIsNone(cfile.definition_at("io_match_task", 15))

    def test_site_outside_the_function_is_reported(self):
        row = GOOD_ROW.replace("timeout.c:8-10", "timeout.c:8-12")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "7.2 timeout.c:8-12", "not inside io_req_task_link_timeout()",
                       "4-11")

    def test_site_in_prose_may_wrap(self):
        prose = ("\nThe splice, 7.2\ntimeout.c:9 (``io_req_task_link_timeout``), and\n"
                 "6.12 timeout.c:20 (``io_req_task_link_timeout``).\n")
        problems, _ = self.t.check(REVIEW_HEAD + GOOD_ROW + prose)
        self.assertOne(problems, "review.rst:27:", "6.12 timeout.c:20", "not inside")

    def test_bare_cite_is_reported(self):
        problems, _ = self.t.check(REVIEW_HEAD + GOOD_ROW + "\nSee timeout.c:9.\n")
        self.assertOne(problems, "review.rst:25:", "timeout.c:9", "neither")

    def test_missing_72_line_is_reported(self):
        row = GOOD_ROW.replace("timeout.c:4\n", "—\n")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "no 7.2 line")

    def test_no_612_counterpart_is_allowed(self):
        row = GOOD_ROW.replace("timeout.c:6\n", "—\n")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertEqual(problems, [])


class RustSide(CheckerTest):
    def test_missing_rust_function_is_reported(self):
        row = GOOD_ROW.replace("link::io_req_task_link_timeout", "link::io_req_task_link_timeout2")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "lifecycle::link::io_req_task_link_timeout2",
                       "no fn io_req_task_link_timeout2 in io_uring_rs/uring/lifecycle/link.rs")

    def test_wrong_module_is_reported(self):
        row = GOOD_ROW.replace("lifecycle::link::", "lifecycle::timeout::")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "no module file io_uring_rs/uring/lifecycle/timeout.rs")

    def test_commented_out_and_method_are_no_free_function(self):
        for name in ("io_not_here", "io_method_only"):
            row = GOOD_ROW.replace("link::io_req_task_link_timeout``,",
                                   "link::%s``," % name)
            problems, _ = self.t.check(REVIEW_HEAD + row)
            self.assertOne(problems, "no fn %s" % name)

    def test_method_of_type_and_trait(self):
        rows = GOOD_ROW.replace("``model::req::LiveTarget::splice``",
                                "``model::req::ReqView::remove_next_linked``")
        problems, _ = self.t.check(REVIEW_HEAD + rows)
        self.assertEqual(problems, [])
        row = GOOD_ROW.replace("LiveTarget::splice", "LiveTarget::splice2")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "no method LiveTarget::splice2")

    def test_bare_type_path_is_reported(self):
        row = GOOD_ROW.replace("``model::req::LiveTarget::splice``", "``LiveTarget::splice``")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "not a module path")

    def test_plain_identifier_in_rust_cell_is_reported(self):
        row = GOOD_ROW.replace("``model::req::LiveTarget::splice``", "``splice``")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "``splice`` in the Rust cell is not a module path")

    def test_evidence_must_be_a_parameter_type(self):
        row = GOOD_ROW.replace("``&mut UringGuard<'_, 'id>``", "``&mut BothGuard``")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        # The splice's parameter counts: it is one of the row's functions.
        self.assertEqual(problems, [])
        row = GOOD_ROW.replace("``&mut UringGuard<'_, 'id>``", "``UringGuard<'_, 'id>``")
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "evidence ``UringGuard<'_, 'id>``", "&mut UringGuard")

    def test_evidence_by_value_is_not_a_reference(self):
        row = (GOOD_ROW.replace("lifecycle::link::io_req_task_link_timeout``,",
                                "model::req::io_link_timeout_claim``,")
               .replace("``&mut UringGuard<'_, 'id>``", "``&mut AtomicCtx``"))
        problems, _ = self.t.check(REVIEW_HEAD + row)
        self.assertOne(problems, "evidence ``&mut AtomicCtx``")
        problems, _ = self.t.check(REVIEW_HEAD + row.replace("&mut AtomicCtx", "AtomicCtx"))
        self.assertEqual(problems, [])

    def test_closure_parameters_do_not_split(self):
        rfile = chk.RustFile(os.path.join(self.t.repo, "io_uring_rs/uring/lifecycle/link.rs"))
        (pos,) = rfile.fns("io_match_task_safe", 0)
        self.assertEqual([chk.norm_type(t) for t in rfile.params(pos)],
                         ["ReqPin", "impl FnMut(ReqPin, &mut AtomicCtx) -> bool", "&ChainRead"])


class Main(CheckerTest):
    def run_main(self, argv, env):
        out = io.StringIO()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                rc = chk.main(argv)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return rc, out.getvalue()

    def test_exit_status_and_count(self):
        self.t.page(REVIEW_HEAD + GOOD_ROW, "Documentation/review-7.2.rst")
        self.t.page(REVIEW_HEAD + GOOD_ROW.replace("timeout.c:4\n", "timeout.c:5\n"),
                    "Documentation/locking.rst")
        rc, out = self.run_main(["--repo", self.t.repo], {"KSRC_6_12": self.t.trees["6.12"],
                                                          "KSRC_7_2": self.t.trees["7.2"]})
        self.assertEqual(rc, 1)
        lines = out.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[0].startswith("Documentation/locking.rst:16: 7.2 timeout.c:5"))
        self.assertEqual(lines[-1], "check_c_sites: 2 rows, 6 C cites, 4 Rust paths: 1 problems")
        self.t.page(REVIEW_HEAD + GOOD_ROW, "Documentation/locking.rst")
        rc, out = self.run_main(["--repo", self.t.repo, self.t.trees["6.12"], self.t.trees["7.2"]],
                                {})
        self.assertEqual(rc, 0)
        self.assertTrue(out.endswith(": 0 problems\n"))

    def test_missing_tree_is_a_usage_error(self):
        rc, _ = self.run_main(["--repo", self.t.repo, self.t.trees["6.12"], self.tmp.name], {})
        self.assertEqual(rc, 2)


@unittest.skipUnless(os.environ.get("KSRC_6_12") and os.environ.get("KSRC_7_2"),
                     "KSRC_6_12 and KSRC_7_2 not set")
class RealPages(unittest.TestCase):
    def test_repository_pages(self):
        trees = {"6.12": os.environ["KSRC_6_12"], "7.2": os.environ["KSRC_7_2"]}
        problems, (rows, _, _) = chk.check(REPO, trees)
        self.assertEqual(problems, [])
        self.assertGreater(rows, 40)


if __name__ == "__main__":
    unittest.main()
