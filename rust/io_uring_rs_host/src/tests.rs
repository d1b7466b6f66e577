// SPDX-License-Identifier: GPL-2.0

//! Host tests: every case of the in-kernel self-test, one test each, plus
//! tests of the model's primitives.

use crate::glue::chain::ChainCell;
use crate::glue::context::TaskCtx;
use crate::glue::trace;
use crate::selftest::CASES;
use crate::uring::model::req::Req;
use crate::uring::model::ring::IoRingCtx;
use crate::uring::model::sqe::{Sqe, OP_NOP};

/// Cases whose checks need the program to keep pace with the clock (a
/// thread that must go idle within a second of real time): under Miri,
/// which runs the program about a thousand times slower, they are left to
/// the plain host run and the kernel.
const REAL_TIME_CASES: &[&str] = &["r3_sqpoll_thread_submits_and_idles"];

fn run_case(name: &str) {
    if cfg!(miri) && REAL_TIME_CASES.contains(&name) {
        eprintln!("{name}: skipped under miri (real-time case)");
        return;
    }
    let (_, body) = CASES
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no self-test case {name}"));
    // SAFETY: A test thread is a task and holds no lock of the core.
    let mut cx = unsafe { TaskCtx::enter() };
    if let Err(why) = body(&mut cx) {
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
    r1_cq_overflow_loses_nothing,
    timeout_cqes_do_not_count_for_timeouts,
    r2_sq_ring_submission_and_dropped,
    r3_sqpoll_thread_submits_and_idles,
    req_cache_reuses_freed_requests,
    s1_chain_completes_in_order,
    s6_timeout_in_link_fails_followers,
    s4_hardlink_continues,
    s5_prep_failure_cancels_whole_chain,
    s7_etime_success_keeps_link,
    s8_link_timeout_fires,
    s9_target_completes_first,
    s8b_link_timeout_on_iowq_target,
    s11_lone_link_timeout_einval,
    s11_link_timeout_after_failed_link_timeout,
    s11_link_timeout_after_failed_prep,
    s13_cqe_skip_success,
    iowq_free_work_runs_linked_next,
    s14_s15_cancel_by_user_data,
    s16_cancel_running_iowq,
    s17_cancel_all_and_any_count,
    iowq_workers_beyond_the_first_table,
    iowq_sleeping_work_gets_a_worker_each,
    iowq_exited_workers_leave_no_thread,
    s19_timeout_remove,
    timeout_count_fires_on_completions,
    channel_write_wakes_poll,
    s12_link_timeout_update,
    timeout_update_rearms,
    s3_short_read_fails_link,
    s21_task_exit_cancels_inflight_only,
    s21_task_exit_spares_unissued_inflight,
    s21_exit_link_timeout_leaves_target,
    s21_exit_next_issue_efault,
    s21_exit_poll_wake_and_deferred_issue,
    s20_exec_cancels_all,
    s20_exec_cancels_deferred_chains,
    s22_ring_exit_with_pending_work,
    s23_drain_waits_for_earlier,
    s23_drain_in_link,
    s24_drain_after_cqe_skip_eopnotsupp,
    s24_drain_and_cqe_skip_on_one_entry,
    s24_drain_after_cqe_skip_in_chain,
    s24_cqe_skip_of_unknown_opcode_keeps_drain,
);

/// Tests of the model's primitives that start no thread (no timer, no
/// queued work): chain access, reference tokens, the linked-timeout claim.
/// What these types reject is in `rust/compile_fail/`.
mod pure {
    use super::*;
    use crate::glue::context::AtomicCtx;
    use crate::glue::trace::LtClaimKind;
    use crate::uring::model::req::{
        io_link_timeout_claim, LinkTimeoutClaim, ReqArc, ReqRef, ReqView,
    };
    use crate::uring::model::ring::Ring;
    use crate::uring::model::sqe::Op;

    fn task_ctx() -> TaskCtx {
        // SAFETY: A test thread is a task and holds no lock of the core.
        unsafe { TaskCtx::enter() }
    }

    /// A value that counts its drops.
    struct Counted<'a>(&'a core::sync::atomic::AtomicUsize, u32);

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        }
    }

    /// A destructor that unwinds while the cache takes its memory: the
    /// value is dropped once and the memory leaks (which is why Miri, whose
    /// leak check would report it, skips this test); never a second drop.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn an_unwinding_destructor_is_not_run_twice_by_the_cache() {
        use crate::glue::arc_slot::ArcSlot;
        use kernel::prelude::GFP_KERNEL;
        use kernel::sync::Arc;
        static DROPS: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
        struct Unwinds;
        impl Drop for Unwinds {
            fn drop(&mut self) {
                if DROPS.fetch_add(1, core::sync::atomic::Ordering::Relaxed) == 0 {
                    panic!("the first drop unwinds");
                }
            }
        }
        let a = Arc::new(Unwinds, GFP_KERNEL).expect("alloc");
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ArcSlot::reclaim(a)));
        std::panic::set_hook(hook);
        assert!(r.is_err(), "the destructor did not unwind");
        assert_eq!(DROPS.load(core::sync::atomic::Ordering::Relaxed), 1);
    }

    #[test]
    fn an_arc_slot_is_taken_only_from_the_last_reference() {
        use crate::glue::arc_slot::{ArcSlot, BoundedStack};
        use kernel::prelude::GFP_KERNEL;
        use kernel::sync::Arc;
        let drops = core::sync::atomic::AtomicUsize::new(0);
        let a = Arc::new(Counted(&drops, 1), GFP_KERNEL).expect("alloc");
        let b = a.clone();
        assert!(
            ArcSlot::reclaim(a).is_none(),
            "a shared allocation was taken"
        );
        assert_eq!(drops.load(core::sync::atomic::Ordering::Relaxed), 0);
        assert_eq!(b.1, 1);
        let slot = ArcSlot::reclaim(b).expect("the last reference");
        assert_eq!(drops.load(core::sync::atomic::Ordering::Relaxed), 1);
        let mut cache = BoundedStack::new(1, GFP_KERNEL).expect("alloc");
        cache.push(slot);
        let c = Arc::new(Counted(&drops, 3), GFP_KERNEL).expect("alloc");
        // Full: this slot is freed, its value dropped once.
        cache.push(ArcSlot::reclaim(c).expect("the last reference"));
        assert_eq!(drops.load(core::sync::atomic::Ordering::Relaxed), 2);
        let slot = cache.pop().expect("the kept slot");
        assert!(cache.pop().is_none() && cache.is_empty());
        let d = slot
            .pin_init(Counted(&drops, 2))
            .map_err(|e: core::convert::Infallible| e)
            .expect("infallible");
        assert_eq!(d.1, 2);
        drop(d);
        assert_eq!(drops.load(core::sync::atomic::Ordering::Relaxed), 3);
        // An empty slot dropped frees memory and drops nothing.
        let e = Arc::new(Counted(&drops, 4), GFP_KERNEL).expect("alloc");
        drop(ArcSlot::reclaim(e));
        assert_eq!(drops.load(core::sync::atomic::Ordering::Relaxed), 4);
    }

    fn req<'id>(ring: Ring<'_, 'id>, op: Op, link: Option<ReqRef<'id>>) -> ReqRef<'id> {
        req_flags(ring, 0, op, link)
    }

    /// A request submitted with the `IOSQE_*` flags `sqe_flags`.
    fn req_flags<'id>(
        ring: Ring<'_, 'id>,
        sqe_flags: u8,
        op: Op,
        link: Option<ReqRef<'id>>,
    ) -> ReqRef<'id> {
        let sqe = Sqe {
            opcode: OP_NOP,
            flags: sqe_flags,
            ..Sqe::default()
        };
        Req::alloc(
            &mut ring.lock_uring(&mut task_ctx()),
            &sqe,
            &crate::host_tctx(),
            Ok(op),
            link,
            0,
        )
        .expect("alloc")
    }

    /// A target linked to a linked timeout, the timeout made claimable.
    fn lt_chain<'id>(ring: Ring<'_, 'id>, cx: &mut TaskCtx) -> (ReqArc<'id>, ReqRef<'id>) {
        let lt = req(ring, Op::LinkTimeout { ns: 0, abs: false }, None);
        let lt_arc = lt.to_arc();
        let target = req(ring, Op::Nop, Some(lt));
        lt_arc.set_lt_head(&target, &mut ring.lock_uring(cx).lock_both());
        (lt_arc, target)
    }

    #[test]
    fn chain_read_and_write_on_the_own_ring() {
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let tail = req(ring, Op::Nop, None);
            let tail_arc = tail.to_arc();
            let head = req(ring, Op::Nop, Some(tail));
            let mut g = ring.lock_uring(&mut cx);
            let next = head.pin().link(&g.chain_read()).map(|n| n.to_arc());
            assert!(next.is_some_and(|n| core::ptr::eq(&*n, &*tail_arc)));
            let taken = head.take_link(&mut g.lock_both().chain_write());
            assert!(taken.is_some_and(|t| core::ptr::eq(&*t, &*tail_arc)));
            assert!(head.pin().link(&g.chain_read()).is_none());
        });
        assert_eq!(ctx.inflight(), 0, "every request was freed");
    }

    #[test]
    fn the_last_put_returns_the_request() {
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let r = req(ring, Op::Nop, None);
            let second = r.pin().get_ref();
            assert!(second.put().is_none(), "not the last reference");
            assert!(r.put().is_some(), "the last reference");
        });
    }

    #[test]
    fn a_parked_reference_is_taken_back_once() {
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let bare = req(ring, Op::Nop, None).park();
            let r = bare.unpark().expect("parked");
            assert!(bare.unpark().is_none(), "taken back already");
            assert!(r.put().is_some());
        });
    }

    /// `ReqArc::into_unparked` moves the memory into the reference it takes
    /// back, without a count; with nothing parked it gives the memory back.
    #[test]
    fn a_parked_reference_is_taken_back_into_its_memory() {
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let r = req(ring, Op::Nop, None).park().into_unparked();
            let r = r.map_err(|_| ()).expect("parked");
            let bare = r.pin().get_ref().park();
            let again = bare.clone().into_unparked().map_err(|_| ());
            let again = again.expect("parked once more");
            assert!(bare.into_unparked().is_err(), "taken back already");
            assert!(again.put().is_none());
            assert!(r.put().is_some());
        });
    }

    /// `io_wq_free_work()` leaves the caller the request after its last
    /// put, for the request cache, and the next request of a linked one;
    /// nothing after a put that is not the last.
    #[test]
    fn free_work_leaves_the_last_put_and_the_next_request() {
        use crate::uring::lifecycle::iowq::{io_wq_free_work, FreeWorkLock};
        use crate::uring::model::sqe::IOSQE_IO_LINK;
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        let mut cx = task_ctx();
        Ring::open(&ctx, |ring| {
            let r = req(ring, Op::Nop, None);
            let held = r.pin().get_ref();
            let freed = io_wq_free_work(r, FreeWorkLock::Unlocked(&mut cx));
            assert!(freed.next.is_none() && freed.freed.is_none());
            let freed = io_wq_free_work(held, FreeWorkLock::Unlocked(&mut cx));
            assert!(freed.next.is_none(), "unlinked");
            assert!(freed.freed.is_some(), "the last put leaves the request");

            let next = req(ring, Op::Nop, None);
            let head = req_flags(ring, IOSQE_IO_LINK, Op::Nop, Some(next));
            let freed = io_wq_free_work(head, FreeWorkLock::Unlocked(&mut cx));
            assert!(freed.freed.is_some());
            let next = freed.next.expect("the next request, detached");
            assert!(next.put().is_some());
        });
    }

    /// `ReqArc::adopt` brands a request only for its own ring: under
    /// another ring's brand it gives the request back.
    #[test]
    fn a_request_is_adopted_only_by_its_own_ring() {
        let (a, b) = (
            IoRingCtx::create(&task_ctx()).unwrap(),
            IoRingCtx::create(&task_ctx()).unwrap(),
        );
        let bare = Ring::open(&a, |ring| req(ring, Op::Nop, None).park().into_arc());
        let bare = Ring::open(&b, |ring| ReqArc::adopt(ring, bare).map(|_| ()))
            .expect_err("ring b adopted a request of ring a");
        Ring::open(&a, |ring| {
            let r = ReqArc::adopt(ring, bare).unwrap_or_else(|_| panic!("not adopted by its ring"));
            assert!(r.unpark().expect("parked").put().is_some());
        });
        assert_eq!(a.inflight(), 0, "every request was freed");
    }

    /// A target whose last reference is gone: the timer's claim finds it
    /// dying and splices the linked timeout out of its chain with
    /// `timeout_lock` only, parking the timeout's reference.
    #[test]
    fn the_timer_splices_a_dying_target() {
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        let before = trace::lt_claims(LtClaimKind::TimerDying);
        Ring::open(&ctx, |ring| {
            let (lt_arc, target) = lt_chain(ring, &mut cx);
            let target = target.put().expect("the last reference");
            // SAFETY: No lock is held; this stands for the timer callback.
            let actx = unsafe { AtomicCtx::enter() };
            let LinkTimeoutClaim::Dying(dying) = io_link_timeout_claim(ring, lt_arc.clone(), actx)
            else {
                panic!("the target's count is zero");
            };
            // Not finished: that would queue the task work, which needs a runtime.
            drop(dying.splice());
            let t = ring.lock_timeout(&mut cx);
            assert!(target.link_locked(&t.chain_read()).is_none(), "spliced");
            drop(t);
            let lt_ref = lt_arc.unpark().expect("the link's reference, parked");
            assert!(lt_ref.put().is_some());
        });
        assert_eq!(trace::lt_claims(LtClaimKind::TimerDying), before + 1);
        assert_eq!(ctx.inflight(), 0, "every request was freed");
    }

    /// A live target: the timer pins it, and task work splices the timeout
    /// out holding both chain locks.
    #[test]
    fn task_work_splices_a_live_target() {
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let (lt_arc, target) = lt_chain(ring, &mut cx);
            // SAFETY: As above.
            let actx = unsafe { AtomicCtx::enter() };
            let LinkTimeoutClaim::Live(live) = io_link_timeout_claim(ring, lt_arc.clone(), actx)
            else {
                panic!("the target holds a reference");
            };
            drop(live.defer_to_task_work());
            let mut g = ring.lock_uring(&mut cx);
            let mut b = g.lock_both();
            let live = lt_arc.take_live_target(&mut b).expect("timeout->prev");
            let (pinned, lt_ref) = live.splice(&lt_arc, &mut b);
            assert!(lt_ref.is_some(), "the timeout was still linked");
            assert!(target.pin().link(&b.chain_read()).is_none());
            drop(b);
            drop(g);
            assert!(pinned.put().is_none(), "the target still holds its own");
            assert!(target.put().is_some());
            assert!(lt_ref.is_some_and(|r| r.put().is_some()));
        });
        assert_eq!(ctx.inflight(), 0, "every request was freed");
    }

    /// Disarm claims first: the timer finds nothing to act on.
    #[test]
    fn disarm_claims_before_the_timer() {
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create(&task_ctx()).unwrap();
        Ring::open(&ctx, |ring| {
            let (lt_arc, _target) = lt_chain(ring, &mut cx);
            let mut g = ring.lock_uring(&mut cx);
            assert!(lt_arc.claim_for_disarm(&mut g.lock_both()));
            assert!(!lt_arc.claim_for_disarm(&mut g.lock_both()), "claimed once");
            drop(g);
            // SAFETY: As above.
            let actx = unsafe { AtomicCtx::enter() };
            let claim = io_link_timeout_claim(ring, lt_arc, actx);
            assert!(matches!(claim, LinkTimeoutClaim::Unclaimed(_)));
        });
    }

    #[test]
    fn chain_cell_is_sync_for_requests() {
        fn sync<T: Sync>() {}
        sync::<ChainCell<Req>>();
    }
}

/// The ring ABI's pieces that only the device calls use in the module.
mod ring_abi {
    use super::*;
    use crate::glue::rings;
    use crate::uring::lifecycle::complete::io_cqring_wait_user;
    use crate::uring::model::error::{ebadfd, ebadr};
    use crate::uring::model::ring::{Ring, RingParams};
    use crate::uring::model::sqe::{op_supported, OP_POLL_REMOVE, OP_READ, OP_READV, OP_TIMEOUT};

    fn task_ctx() -> TaskCtx {
        // SAFETY: A test thread is a task and holds no lock of the core.
        unsafe { TaskCtx::enter() }
    }

    #[test]
    fn layout_is_struct_io_rings() {
        // `struct io_rings` of Linux 6.12 on x86-64: `struct io_uring` is
        // two u32, only `cqes` is cache-line (64-byte) aligned.
        let offs = [
            rings::SQ_HEAD,
            rings::SQ_TAIL,
            rings::CQ_HEAD,
            rings::CQ_TAIL,
            rings::SQ_RING_MASK,
            rings::CQ_RING_MASK,
            rings::SQ_RING_ENTRIES,
            rings::CQ_RING_ENTRIES,
            rings::SQ_DROPPED,
            rings::SQ_FLAGS,
            rings::CQ_FLAGS,
            rings::CQ_OVERFLOW,
            rings::CQES,
        ];
        assert_eq!(offs, [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 64]);
        let cx = task_ctx();
        let ctx = IoRingCtx::create_with(
            &cx,
            RingParams {
                sq_entries: 8,
                cq_entries: 16,
                ..RingParams::DEFAULT
            },
        )
        .unwrap();
        let r = ctx.rings();
        // The SQ array follows the CQEs at the next cache line.
        assert_eq!(r.sq_array_offset(), 64 + 16 * 16);
        assert!(r.rings_region().len() >= 64 + 16 * 16 + 4 * 8);
        assert_eq!(r.sqes_region().len(), 64 * 8);
    }

    #[test]
    fn wait_times_out_then_sees_completions() {
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create(&cx).unwrap();
        let res = Ring::open(&ctx, |r| {
            io_cqring_wait_user(r, &mut cx, 1, Some(2), true, &mut |_| false)
        });
        assert_eq!(res, Err(crate::uring::model::error::etime()));
        crate::uring::entry::submit::io_submit_sqes(
            &ctx,
            &mut cx,
            &[Sqe {
                opcode: OP_NOP,
                user_data: 7,
                ..Sqe::default()
            }],
            &crate::host_tctx(),
            &crate::uring::model::sqe::InlineNs,
            false,
        )
        .unwrap();
        let res = Ring::open(&ctx, |r| {
            io_cqring_wait_user(r, &mut cx, 1, None, true, &mut |_| false)
        });
        assert_eq!(res, Ok(()));
        assert_eq!(ctx.rings().cq_tail(), 1);
        assert_eq!(ctx.rings().cqe(0).user_data, 7);
        Ring::open(&ctx, |r| {
            crate::uring::lifecycle::cancel::io_ring_exit(r, &mut cx, 1000)
        });
    }

    #[test]
    fn probe_and_errors() {
        assert!(op_supported(OP_NOP, false) && op_supported(OP_TIMEOUT, false));
        // Files on a ring of the io_uring ABI, channels on a self-test one.
        assert!(op_supported(OP_READ, false) && op_supported(OP_READ, true));
        assert!(op_supported(OP_READV, false) && !op_supported(OP_READV, true));
        assert!(op_supported(OP_POLL_REMOVE, false) && !op_supported(OP_POLL_REMOVE, true));
        // `IORING_OP_FSYNC` is not implemented.
        assert!(!op_supported(3, false) && !op_supported(3, true));
        assert_eq!(ebadfd().to_errno(), -77);
        assert_eq!(ebadr().to_errno(), -53);
    }
}

/// The core's file paths on the host's in-memory pipes (`glue/file.rs`):
/// the inline attempt, the armed poll and its wake-up through task work,
/// cancellation, `POLL_REMOVE`, short reads, and ring exit of armed
/// requests, which Miri checks for leaks.
mod files {
    use super::*;
    use crate::glue::file;
    use crate::uring::entry::submit::io_submit_sqes;
    use crate::uring::lifecycle::cancel::io_ring_exit;
    use crate::uring::lifecycle::complete::io_cqring_wait_user;
    use crate::uring::model::ring::{Ring, RingParams};
    use crate::uring::model::sqe::{
        UserMem, OP_ASYNC_CANCEL, OP_POLL_ADD, OP_POLL_REMOVE, OP_READ, OP_WRITE,
    };
    use kernel::prelude::*;
    use kernel::sync::Arc;
    use kernel::time::msecs_to_jiffies;

    fn task_ctx() -> TaskCtx {
        // SAFETY: A test thread is a task and holds no lock of the core.
        unsafe { TaskCtx::enter() }
    }

    /// The host's "user memory": addresses are pointers.
    struct HostMem;

    impl UserMem for HostMem {
        fn read_ns(&self, addr: u64) -> Result<u64> {
            Ok(addr)
        }
    }

    fn setup(cx: &TaskCtx) -> Arc<IoRingCtx> {
        IoRingCtx::create_with(
            cx,
            RingParams {
                sq_entries: 8,
                cq_entries: 16,
                channels: false,
                ..RingParams::DEFAULT
            },
        )
        .unwrap()
    }

    fn sqe(opcode: u8, fd: i32, addr: u64, len: u32, ud: u64) -> Sqe {
        Sqe {
            opcode,
            fd,
            addr,
            len,
            user_data: ud,
            ..Sqe::default()
        }
    }

    fn submit(ctx: &Arc<IoRingCtx>, cx: &mut TaskCtx, sqes: &[Sqe]) {
        let n = io_submit_sqes(ctx, cx, sqes, &crate::host_tctx(), &HostMem, false).unwrap();
        assert_eq!(n, sqes.len());
    }

    /// Waits for `n` completions (5 s at most) and takes them, sorted.
    fn reap(ctx: &Arc<IoRingCtx>, cx: &mut TaskCtx, n: u32) -> Vec<(u64, i32)> {
        let r = ctx.rings();
        let _ = Ring::open(ctx, |ring| {
            io_cqring_wait_user(ring, cx, n, Some(msecs_to_jiffies(5000)), true, &mut |_| {
                false
            })
        });
        let mut got = Vec::new();
        let mut head = r.cq_head();
        while head != r.cq_tail() {
            let c = r.cqe(head);
            got.push((c.user_data, c.res));
            head = head.wrapping_add(1);
        }
        r.set_cq_head(head);
        got.sort();
        got
    }

    /// Ring exit, which must not have been slow.
    fn exit(ctx: &Arc<IoRingCtx>, cx: &mut TaskCtx) {
        assert!(!Ring::open(ctx, |r| io_ring_exit(r, cx, 5000)));
    }

    #[test]
    fn armed_pipe_read_completes_on_write() {
        let mut cx = task_ctx();
        let ctx = setup(&cx);
        let (rd, wr) = file::pipe();
        let mut buf = [0u8; 8];
        let user = file::UserRegion::lend(&mut buf);
        let read = |off, len, ud| sqe(OP_READ, rd, user.addr(off), len, ud);
        submit(&ctx, &mut cx, &[read(0, 8, 1)]);
        assert_eq!(ctx.rings().cq_tail(), 0, "the read waits for data");
        file::write(wr, b"hello");
        assert_eq!(reap(&ctx, &mut cx, 1), [(1, 5)]);
        // Ready at once: completes inline.
        file::write(wr, b"abc");
        submit(&ctx, &mut cx, &[read(5, 3, 2)]);
        assert_eq!(reap(&ctx, &mut cx, 1), [(2, 3)]);
        // Outside what was lent: `-EFAULT` at preparation.
        submit(&ctx, &mut cx, &[read(6, 3, 3)]);
        assert_eq!(reap(&ctx, &mut cx, 1), [(3, -14)]);
        exit(&ctx, &mut cx);
        drop(user);
        assert_eq!(&buf, b"helloabc");
        file::close(rd);
        file::close(wr);
    }

    #[test]
    fn armed_reads_cancelled_and_torn_down_at_exit() {
        let mut cx = task_ctx();
        let ctx = setup(&cx);
        let (rd, wr) = file::pipe();
        let mut buf = [0u8; 8];
        let user = file::UserRegion::lend(&mut buf);
        let addr = user.addr(0);
        submit(&ctx, &mut cx, &[sqe(OP_READ, rd, addr, 8, 1)]);
        assert_eq!(file::waiters(rd), 1, "the read's poll is armed");
        submit(&ctx, &mut cx, &[sqe(OP_ASYNC_CANCEL, -1, 1, 0, 2)]);
        assert_eq!(reap(&ctx, &mut cx, 2), [(1, -125), (2, 0)]);
        // Taking the request off the cancelable list unhooked its poll.
        assert_eq!(file::waiters(rd), 0);
        // Armed when the ring exits: cancelled there, nothing left behind.
        submit(&ctx, &mut cx, &[sqe(OP_READ, rd, addr, 8, 3)]);
        assert_eq!(file::waiters(rd), 1);
        exit(&ctx, &mut cx);
        assert_eq!(reap(&ctx, &mut cx, 1), [(3, -125)]);
        assert_eq!(file::waiters(rd), 0);
        file::close(rd);
        file::close(wr);
    }

    /// `io_assign_file()`: a linked request resolves its descriptor when
    /// it is issued, not when it is prepared, so it holds no file until
    /// then. Closed before its head completed, the descriptor names
    /// nothing: `-EBADF` (resolved at preparation, the read would wait on
    /// the closed pipe for good).
    #[test]
    fn linked_request_takes_its_file_at_issue() {
        let mut cx = task_ctx();
        let ctx = setup(&cx);
        let (rd, wr) = file::pipe();
        let (rd2, wr2) = file::pipe();
        let mut buf = [0u8; 8];
        let user = file::UserRegion::lend(&mut buf);
        let link = |s: Sqe| Sqe {
            flags: crate::uring::model::sqe::IOSQE_IO_LINK,
            ..s
        };
        let head = link(sqe(OP_READ, rd, user.addr(0), 1, 1));
        let next = sqe(OP_READ, rd2, user.addr(1), 4, 2);
        submit(&ctx, &mut cx, &[head, next]);
        assert_eq!(ctx.rings().cq_tail(), 0, "the head waits for data");
        file::close(rd2);
        file::write(wr, b"a");
        assert_eq!(reap(&ctx, &mut cx, 2), [(1, 1), (2, -9)]);
        exit(&ctx, &mut cx);
        drop(user);
        assert_eq!(buf[0], b'a');
        for fd in [rd, wr, wr2] {
            file::close(fd);
        }
    }

    #[test]
    fn poll_add_remove_hangup_and_short_read() {
        let mut cx = task_ctx();
        let ctx = setup(&cx);
        let (rd, wr) = file::pipe();
        let poll = |ud| Sqe {
            op_flags: 1,
            ..sqe(OP_POLL_ADD, rd, 0, 0, ud)
        };
        submit(&ctx, &mut cx, &[poll(1)]);
        submit(&ctx, &mut cx, &[sqe(OP_POLL_REMOVE, -1, 1, 0, 2)]);
        submit(&ctx, &mut cx, &[sqe(OP_POLL_REMOVE, -1, 1, 0, 3)]);
        assert_eq!(reap(&ctx, &mut cx, 3), [(1, -125), (2, 0), (3, -2)]);
        // A short read fails the link behind it.
        file::write(wr, b"abcd");
        let mut buf = [0u8; 8];
        let user = file::UserRegion::lend(&mut buf);
        let link = Sqe {
            flags: crate::uring::model::sqe::IOSQE_IO_LINK,
            ..sqe(OP_READ, rd, user.addr(0), 8, 4)
        };
        submit(&ctx, &mut cx, &[link, sqe(OP_NOP, -1, 0, 0, 5)]);
        assert_eq!(reap(&ctx, &mut cx, 2), [(4, 4), (5, -125)]);
        // The writer's close: POLLHUP (0x10), as 6.12 reports it.
        submit(&ctx, &mut cx, &[poll(6)]);
        file::close(wr);
        assert_eq!(reap(&ctx, &mut cx, 1), [(6, 0x10)]);
        exit(&ctx, &mut cx);
        file::close(rd);
    }

    /// io-wq's hashed work: writes to one regular file, each punted by its
    /// inline attempt, run one at a time in submission order, though the
    /// bound account has a worker for each (the host's regular file
    /// appends each write whole, so its bytes are the order the writes
    /// ran in), and complete in that order.
    #[test]
    fn hashed_writes_run_in_submission_order() {
        const N: u32 = 32;
        let mut cx = task_ctx();
        let ctx = IoRingCtx::create_with(
            &cx,
            RingParams {
                sq_entries: N,
                cq_entries: 2 * N,
                channels: false,
                ..RingParams::DEFAULT
            },
        )
        .unwrap();
        let (rd, wr) = file::regular_file();
        let mut data: Vec<u8> = (0..N as u8).collect();
        let user = file::UserRegion::lend(&mut data);
        let writes: Vec<Sqe> = (0..N)
            .map(|i| sqe(OP_WRITE, wr, user.addr(i as usize), 1, u64::from(i)))
            .collect();
        submit(&ctx, &mut cx, &writes);
        let _ = Ring::open(&ctx, |ring| {
            io_cqring_wait_user(
                ring,
                &mut cx,
                N,
                Some(msecs_to_jiffies(5000)),
                true,
                &mut |_| false,
            )
        });
        let r = ctx.rings();
        let order: Vec<(u64, i32)> = (0..N)
            .map(|i| {
                let c = r.cqe(r.cq_head().wrapping_add(i));
                (c.user_data, c.res)
            })
            .collect();
        r.set_cq_head(r.cq_head().wrapping_add(N));
        let expected: Vec<(u64, i32)> = (0..u64::from(N)).map(|i| (i, 1)).collect();
        assert_eq!(order, expected, "completions in submission order");
        assert_eq!(file::contents(rd), (0..N as u8).collect::<Vec<u8>>());
        exit(&ctx, &mut cx);
        drop(user);
        file::close(rd);
        file::close(wr);
    }

    /// One round of [`a_hashed_write_does_not_wait_for_its_holder_s_chain`]
    /// on a ring of its own: the completions, in the order posted.
    fn hashed_write_behind_a_chain(cx: &mut TaskCtx, chain: u64) -> Vec<u64> {
        use crate::uring::model::sqe::{IOSQE_ASYNC, IOSQE_IO_LINK};
        let ctx = IoRingCtx::create_with(
            cx,
            RingParams {
                sq_entries: 128,
                cq_entries: 256,
                channels: false,
                ..RingParams::DEFAULT
            },
        )
        .unwrap();
        // One bound worker, idle.
        let nop = Sqe {
            flags: IOSQE_ASYNC,
            ..sqe(OP_NOP, -1, 0, 0, 9)
        };
        submit(&ctx, cx, &[nop]);
        assert_eq!(reap(&ctx, cx, 1), [(9, 0)]);
        let (rd, wr) = file::regular_file();
        let (rd2, wr2) = file::regular_file();
        let mut data = *b"wxyz";
        let src = file::UserRegion::lend(&mut data);
        let link = |s: Sqe| Sqe {
            flags: IOSQE_IO_LINK,
            ..s
        };
        let mut sqes = vec![link(sqe(OP_WRITE, wr, src.addr(0), 2, 1))];
        for i in 0..chain {
            let w = sqe(OP_WRITE, wr2, src.addr(0), 1, 100 + i);
            sqes.push(if i + 1 < chain { link(w) } else { w });
        }
        sqes.push(sqe(OP_WRITE, wr, src.addr(2), 2, 3));
        submit(&ctx, cx, &sqes);
        let n = chain as u32 + 2;
        let _ = Ring::open(&ctx, |ring| {
            io_cqring_wait_user(ring, cx, n, Some(msecs_to_jiffies(5000)), true, &mut |_| {
                false
            })
        });
        let r = ctx.rings();
        let order: Vec<u64> = (0..n)
            .map(|i| r.cqe(r.cq_head().wrapping_add(i)).user_data)
            .collect();
        r.set_cq_head(r.cq_head().wrapping_add(n));
        exit(&ctx, cx);
        drop(src);
        assert_eq!(file::contents(rd), b"wxyz");
        for fd in [rd, wr, rd2, wr2] {
            file::close(fd);
        }
        order
    }

    /// A hashed write heading a chain that keeps its worker busy (linked
    /// writes to another file, each a millisecond, as a disk's), and a
    /// second write to the first file, with one idle bound worker: when
    /// both queueings find that worker idle (it has not woken yet for the
    /// first), neither asks for another; it takes the first write, then
    /// goes on to the chain. The second write, held back while the first
    /// ran, must not wait for the chain: the worker asks for a worker
    /// before it goes on (C creates one when its worker blocks,
    /// `io_wq_worker_sleeping()`). Whether the worker wakes before the
    /// second queueing is the host scheduler's choice, so the test runs
    /// ten rounds. Not under Miri: it is threads and sleeps.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn a_hashed_write_does_not_wait_for_its_holder_s_chain() {
        const CHAIN: u64 = 50;
        let mut cx = task_ctx();
        for round in 0..10 {
            let order = hashed_write_behind_a_chain(&mut cx, CHAIN);
            let pos = |ud| order.iter().position(|&u| u == ud).expect("completed");
            assert!(
                pos(3) < pos(100 + CHAIN - 1),
                "round {round}: the second write waited for the chain: {order:?}"
            );
        }
    }
}

/// io-wq's intrusive work list (`glue/work_list.rs`), run under Miri too.
mod work_list {
    use crate::glue::work_list::{HasWqNode, WorkList, WqNode};
    use kernel::prelude::*;
    use kernel::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Item {
        node: WqNode<Item>,
        v: usize,
        drops: &'static AtomicUsize,
    }

    // SAFETY: `node` is the item's own, used by nothing but `WorkList`.
    unsafe impl HasWqNode for Item {
        fn wq_node(&self) -> &WqNode<Item> {
            &self.node
        }
    }

    impl Drop for Item {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn item(v: usize, drops: &'static AtomicUsize) -> Arc<Item> {
        let node = WqNode::new();
        Arc::new(Item { node, v, drops }, GFP_KERNEL).unwrap()
    }

    fn values(list: &WorkList<Item>) -> Vec<usize> {
        list.iter().map(|i| i.v).collect()
    }

    #[test]
    fn fifo_and_an_item_is_queued_once() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let mut list = WorkList::new();
        let items: Vec<_> = (0..3).map(|v| item(v, &DROPS)).collect();
        for i in &items {
            assert!(list.push_back(i.clone()).is_ok());
        }
        // Queued already, on this list or another: refused, and the extra
        // reference comes back.
        let again = list.push_back(items[1].clone()).expect_err("pushed twice");
        assert!(Arc::ptr_eq(&again, &items[1]));
        let mut other = WorkList::new();
        assert!(other.push_back(items[2].clone()).is_err());
        drop(again);
        assert_eq!(values(&list), [0, 1, 2]);
        assert_eq!(list.pop_front().map(|i| i.v), Some(0));
        // Taken off, an item may be queued again, on any list.
        assert!(other.push_back(items[0].clone()).is_ok());
        assert!(list.push_back(items[0].clone()).is_err());
        assert_eq!(values(&list), [1, 2]);
        assert_eq!(values(&other), [0]);
        drop(other);
        assert!(list.push_back(items[0].clone()).is_ok());
        assert_eq!(values(&list), [1, 2, 0]);
        drop(list);
        assert_eq!(DROPS.load(Ordering::Relaxed), 0);
        drop(items);
        // Every reference the lists held was given back.
        assert_eq!(DROPS.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn remove_first_unlinks_first_middle_and_last() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let mut list = WorkList::new();
        for v in 0..6 {
            assert!(list.push_back(item(v, &DROPS)).is_ok());
        }
        assert!(list.remove_first(|i| i.v == 9).is_none());
        assert_eq!(list.remove_first(|i| i.v == 0).map(|i| i.v), Some(0));
        assert_eq!(list.remove_first(|i| i.v % 2 == 1).map(|i| i.v), Some(1));
        assert_eq!(list.remove_first(|i| i.v == 5).map(|i| i.v), Some(5));
        assert_eq!(values(&list), [2, 3, 4]);
        // The last entry moved back: adding goes after the new last.
        assert!(list.push_back(item(6, &DROPS)).is_ok());
        assert_eq!(list.remove_first(|i| i.v == 6).map(|i| i.v), Some(6));
        assert!(list.push_back(item(7, &DROPS)).is_ok());
        assert_eq!(values(&list), [2, 3, 4, 7]);
        assert_eq!(DROPS.load(Ordering::Relaxed), 4);
        while list.pop_front().is_some() {}
        assert!(list.iter().next().is_none());
        assert!(list.push_back(item(8, &DROPS)).is_ok());
        assert_eq!(values(&list), [8]);
        drop(list);
        assert_eq!(DROPS.load(Ordering::Relaxed), 9);
    }

    #[test]
    fn a_long_list_drops_without_recursion() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let n = if cfg!(miri) { 1_000 } else { 200_000 };
        let mut list = WorkList::new();
        for v in 0..n {
            assert!(list.push_back(item(v, &DROPS)).is_ok());
        }
        drop(list);
        assert_eq!(DROPS.load(Ordering::Relaxed), n);
    }
}

/// The task-work list (`glue/tw_list.rs`) and the ring's table of task-work
/// lists, one per submitting thread (`glue/tctx.rs`).
mod task_work {
    use super::*;
    use crate::glue::tctx::IoUringTask;
    use crate::glue::tw_list::{HasTwNode, TwList, TwNode};
    use crate::uring::model::ring::Ring;
    use kernel::prelude::*;
    use kernel::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Item {
        node: TwNode,
        v: usize,
        drops: &'static AtomicUsize,
    }

    // SAFETY: `node` is the item's own, used by nothing but `TwList`.
    unsafe impl HasTwNode for Item {
        fn tw_node(&self) -> &TwNode {
            &self.node
        }
    }

    impl Drop for Item {
        fn drop(&mut self) {
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn item(v: usize, drops: &'static AtomicUsize) -> Arc<Item> {
        Arc::new(
            Item {
                node: TwNode::new(),
                v,
                drops,
            },
            GFP_KERNEL,
        )
        .unwrap()
    }

    #[test]
    fn take_all_is_oldest_first_and_an_item_is_queued_once() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let list = TwList::new();
        let items: Vec<_> = (0..3).map(|v| item(v, &DROPS)).collect();
        assert_eq!(list.push(items[0].clone()).ok(), Some(true));
        assert_eq!(list.push(items[1].clone()).ok(), Some(false));
        // Queued already: refused, the extra reference comes back.
        let again = list.push(items[1].clone()).expect_err("pushed twice");
        assert!(Arc::ptr_eq(&again, &items[1]));
        drop(again);
        assert_eq!(list.push(items[2].clone()).ok(), Some(false));
        let order: Vec<usize> = list.take_all().map(|i| i.v).collect();
        assert_eq!(order, [0, 1, 2]);
        assert!(list.is_empty());
        // Taken off, an item may be queued again; on another list too.
        let other = TwList::new();
        assert_eq!(other.push(items[1].clone()).ok(), Some(true));
        assert!(list.push(items[1].clone()).is_err());
        drop(other);
        assert_eq!(list.push(items[1].clone()).ok(), Some(true));
        drop(list);
        assert_eq!(DROPS.load(Ordering::Relaxed), 0);
        drop(items);
        // Every reference the lists and batches held was given back.
        assert_eq!(DROPS.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_dropped_batch_gives_back_what_it_did_not_yield() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let list = TwList::new();
        for v in 0..4 {
            list.push(item(v, &DROPS)).ok().unwrap();
        }
        let mut batch = list.take_all();
        assert_eq!(batch.next().map(|i| i.v), Some(0));
        assert_eq!(DROPS.load(Ordering::Relaxed), 1);
        drop(batch);
        assert_eq!(DROPS.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn concurrent_pushes_are_each_taken_once() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let per = if cfg!(miri) { 20 } else { 2000 };
        let list = std::sync::Arc::new(TwList::new());
        let pushers: Vec<_> = (0..3)
            .map(|t| {
                let list = list.clone();
                std::thread::spawn(move || {
                    for k in 0..per {
                        list.push(item(t * per + k, &DROPS)).ok().unwrap();
                    }
                })
            })
            .collect();
        let mut seen = vec![0u8; 3 * per];
        let mut last = [None::<usize>; 3];
        let mut take = |seen: &mut Vec<u8>| {
            for i in list.take_all() {
                seen[i.v] += 1;
                // Each pusher's items come out in the order it pushed them.
                let t = i.v / per;
                assert!(last[t].is_none_or(|l| l < i.v), "out of order");
                last[t] = Some(i.v);
            }
        };
        while !pushers.iter().all(|p| p.is_finished()) {
            take(&mut seen);
        }
        for p in pushers {
            p.join().unwrap();
        }
        take(&mut seen);
        assert!(seen.iter().all(|n| *n == 1));
        assert_eq!(DROPS.load(Ordering::Relaxed), 3 * per);
    }

    #[test]
    fn each_thread_finds_its_own_task_work_on_a_ring() {
        let cx = unsafe_free_task_ctx();
        let ctx = IoRingCtx::create(&cx).unwrap();
        // What the device's first submission does (`entry/dev.rs`).
        let mine = |cx: &mut TaskCtx| {
            let found = Ring::open(&ctx, |r| {
                r.lock_uring(cx).state().tctx_of_current().cloned()
            });
            found.unwrap_or_else(|| {
                let t = IoUringTask::new_current(cx, 7).unwrap();
                Ring::open(&ctx, |r| r.lock_uring(cx).state().tctx_add(t.clone())).unwrap();
                t
            })
        };
        let mut cx = cx;
        let a = mine(&mut cx);
        assert!(Arc::ptr_eq(&a, &mine(&mut cx)));
        assert!(a.is_current());
        let b =
            std::thread::scope(|s| s.spawn(|| mine(&mut unsafe_free_task_ctx())).join()).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(!b.is_current());
        let count = |cx: &mut TaskCtx, tgid| {
            Ring::open(&ctx, |r| r.lock_uring(cx).state().tctxs(tgid).count())
        };
        assert_eq!(count(&mut cx, Some(7)), 2);
        assert_eq!(count(&mut cx, Some(8)), 0);
        assert_eq!(count(&mut cx, None), 2);
        let fallback = IoUringTask::new_fallback(7).unwrap();
        assert!(!fallback.is_current());
        assert_eq!(fallback.tgid(), 7);
    }

    fn unsafe_free_task_ctx() -> TaskCtx {
        // SAFETY: A test thread is a task and holds no lock of the core.
        unsafe { TaskCtx::enter() }
    }
}
