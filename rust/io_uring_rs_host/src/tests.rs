// SPDX-License-Identifier: GPL-2.0

//! Host tests: every case of the in-kernel self-test, one test each, plus
//! checks of the glue primitives that only the host can make (panics).

use crate::glue::chain::{ChainCell, ChainRead};
use crate::selftest::CASES;
use crate::uring::context::TaskCtx;
use crate::uring::req::Req;
use crate::uring::ring::IoRingCtx;
use crate::uring::sqe::{Sqe, OP_NOP};
use kernel::sync::Arc;

fn run_case(name: &str) {
    let (_, body) = CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no self-test case {name}"));
    if let Err(why) = body() {
        panic!("{name}: {why}");
    }
    assert_eq!(
        kernel::print::error_count(),
        0,
        "the core reported an internal error"
    );
}

macro_rules! self_test_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_case(stringify!($name));
            }
        )*

        #[test]
        fn every_kernel_case_runs_on_the_host() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in CASES {
                assert!(listed.contains(name), "self-test case {name} has no host test");
            }
        }
    };
}

self_test_cases!(
    s1_chain_completes_in_order,
    s6_timeout_in_link_fails_followers,
    s4_hardlink_continues,
    s5_prep_failure_cancels_whole_chain,
    s7_etime_success_keeps_link,
    s8_link_timeout_fires,
    s9_target_completes_first,
    s8b_link_timeout_on_iowq_target,
    s11_lone_link_timeout_einval,
    s13_cqe_skip_success,
    iowq_free_work_runs_linked_next,
    s14_s15_cancel_by_user_data,
    s16_cancel_running_iowq,
    s17_cancel_all_and_any_count,
    s19_timeout_remove,
    timeout_count_fires_on_completions,
    channel_write_wakes_poll,
    s12_link_timeout_update,
    timeout_update_rearms,
    s3_short_read_fails_link,
    s21_task_exit_cancels_inflight_only,
    s20_exec_cancels_all,
    s20_exec_cancels_deferred_chains,
    s22_ring_exit_with_pending_work,
    s23_drain_waits_for_earlier,
    s23_drain_in_link,
    s24_drain_after_cqe_skip_eopnotsupp,
    no_double_completion,
);

/// Tests that start no thread (no timer, no queued work): the checked
/// identity of chain proofs and the dying-claim primitive. Miri runs these
/// (`cargo +nightly miri test pure::`).
mod pure {
    use super::*;

    fn nop_req(ring: &Arc<IoRingCtx>, link: Option<Arc<Req>>) -> Arc<Req> {
        let sqe = Sqe {
            opcode: OP_NOP,
            ..Sqe::default()
        };
        Req::alloc(ring, &sqe, 1, Ok(crate::uring::sqe::Op::Nop), link, 0).expect("alloc")
    }

    #[test]
    #[should_panic(expected = "chain read with a proof of another ring's lock")]
    fn proof_of_one_ring_does_not_read_another_rings_chain() {
        let mut cx = TaskCtx::enter();
        let a = IoRingCtx::create().unwrap();
        let b = IoRingCtx::create().unwrap();
        let req_b = nop_req(&b, None);
        let g = a.lock_uring(&mut cx);
        let _ = req_b.link.get(&g.chain_read());
    }

    #[test]
    #[should_panic(expected = "chain write with a proof of another ring's locks")]
    fn write_proof_of_one_ring_does_not_write_another_rings_chain() {
        let mut cx = TaskCtx::enter();
        let a = IoRingCtx::create().unwrap();
        let b = IoRingCtx::create().unwrap();
        let req_b = nop_req(&b, None);
        let mut g = a.lock_uring(&mut cx);
        let mut both = g.lock_both();
        let _ = req_b.link.get_mut(&mut both.chain_write());
    }

    #[test]
    #[should_panic(expected = "chain proof built from a guard of another lock")]
    fn read_proof_needs_the_guard_of_the_named_lock() {
        let a = IoRingCtx::create().unwrap();
        let b = IoRingCtx::create().unwrap();
        let g = b.uring_lock.lock();
        let _ = ChainRead::new(&a.uring_lock, &g);
    }

    #[test]
    fn chain_read_and_write_on_the_own_ring() {
        let mut cx = TaskCtx::enter();
        let ring = IoRingCtx::create().unwrap();
        let tail = nop_req(&ring, None);
        let head = nop_req(&ring, Some(tail.clone()));
        let mut g = ring.lock_uring(&mut cx);
        assert!(matches!(head.link.get(&g.chain_read()), Some(n) if Arc::ptr_eq(n, &tail)));
        let taken = head.link.get_mut(&mut g.lock_both().chain_write()).take();
        assert!(taken.is_some());
        assert!(head.link.get(&g.chain_read()).is_none());
    }

    #[test]
    fn refs_and_dying_claim() {
        let mut cx = TaskCtx::enter();
        let ring = IoRingCtx::create().unwrap();
        let lt = nop_req(&ring, None);
        let target = nop_req(&ring, Some(lt.clone()));
        // Alive: the claim pins it.
        assert!(target.link.inc_not_zero().is_ok());
        assert!(!target.refs().put_and_test());
        // The last put: now the claim finds it dying and may splice.
        assert!(target.refs().put_and_test());
        let dying = target.link.inc_not_zero().expect_err("count is zero");
        let t = ring.lock_timeout(&mut cx);
        let removed = target
            .link
            .remove_next_dying(dying, &t.chain_read(), |r: &Req| &r.link);
        assert!(matches!(removed, Some(r) if Arc::ptr_eq(&r, &lt)));
        assert!(target.link.get(&t.chain_read()).is_none());
    }

    #[test]
    #[should_panic(expected = "dying proof of another request")]
    fn dying_proof_is_tied_to_its_request() {
        let mut cx = TaskCtx::enter();
        let ring = IoRingCtx::create().unwrap();
        let a = nop_req(&ring, None);
        let b = nop_req(&ring, None);
        assert!(a.refs().put_and_test());
        let dying = a.link.inc_not_zero().expect_err("count is zero");
        let t = ring.lock_timeout(&mut cx);
        let _ = b
            .link
            .remove_next_dying(dying, &t.chain_read(), |r: &Req| &r.link);
    }

    #[test]
    fn unused_chaincell_is_sync_for_sync_values() {
        fn sync<T: Sync>() {}
        sync::<ChainCell<Option<Arc<Req>>>>();
    }
}
