/* corewise's adaptation to a busy machine: how many threads a parallel call
 * may use now, learnt from what the last calls' helper threads did.
 *
 * The problem (issue 14, figures in the README): a fork-join call waits at
 * its closing barrier for every team member.  When another process holds a
 * core, a helper the OS has not scheduled holds the call until its next time
 * slice -- milliseconds -- while the caller, done with its share, waits.  No
 * static setting cures it (OMP_WAIT_POLICY=passive does, but costs the quiet
 * machine half its small-call speed).
 *
 * The cure has two halves.  runtime.c's driver hands out work in chunks
 * from a shared counter, so a helper that starts late finds less (or no)
 * work, and the caller never waits for a helper's *share*, only for its
 * arrival; and it times each call (its start, its end, the fastest
 * chunk's rate).  This file turns those timings into the next calls' team
 * size:
 *
 *  - a call's LOSS is its time minus 9/10 of what one thread would have
 *    taken for the same work (the chunks' fastest rate times the work):
 *    negative when the team paid off, positive when a member that lost
 *    its core -- to another process, or time-sliced because there are
 *    more runnable threads than cores -- made the call wait or stretched
 *    a chunk, or when helpers took no work at all (the caller did it
 *    alone, then waited for their arrival);
 *  - losses are summed over a window that halves every
 *    2^CW_ADAPT_HALF_SHIFT ns (8.4 ms), never below -CW_ADAPT_CREDIT_NS
 *    (a quiet stretch cannot hide the start of contention for long), and
 *    the team is capped when the sum exceeds CW_ADAPT_SLACK_NS.  On a
 *    quiet machine a call gains about half its serial time, and a hiccup
 *    (a VM's timer tick, a kernel thread: tens of us, rarely 1 ms) is
 *    paid from that credit; beside a busy process most calls lose;
 *  - the cap drops the helpers that took no chunk at all (at least one),
 *    for a back-off period that doubles with each cap that follows another
 *    within CW_ADAPT_CALM_NS, from CW_ADAPT_MIN_NS to CW_ADAPT_MAX_NS
 *    (so a machine that quietened is used fully again within
 *    CW_ADAPT_MAX_NS);
 *  - when the period ends the next call is a PROBE with the full team; a
 *    probe without loss lifts the cap, one with loss caps again.  The
 *    back-off is forgotten only after CW_ADAPT_CALM_NS without a cap:
 *    under steady contention a helper is on time right after a probe wakes
 *    it (a woken sleeper gets a core at once) and late a few ms later when
 *    the OS takes the core back, so a short good stretch must not shorten
 *    the next cap.
 *
 * Only team sizes change, never the work's split into tasks (reduce.c's
 * trees are fixed), so results stay bitwise identical.  The state is one
 * process-wide record of relaxed atomics: calls from several threads may
 * race on it, which costs at most one call's decision.  The functions take
 * times as arguments, so tests drive the state machine with simulated
 * clocks (tests/test_adapt.py). */
#include <stdint.h>
#include <time.h>
#include "cw_internal.h"

#define CW_ADAPT_SLACK_NS 20000          /* 20 us: barrier noise, a wake-up */
#define CW_ADAPT_MIN_NS 1000000          /* 1 ms */
#define CW_ADAPT_MAX_NS 32000000         /* 32 ms */
#define CW_ADAPT_CALM_NS 100000000       /* 100 ms */
#define CW_ADAPT_COLD_NS 200000          /* 0.2 ms: past the default 1,000 spins */
#define CW_ADAPT_HALF_SHIFT 23           /* window half-life 2^23 ns = 8.4 ms */
#define CW_ADAPT_CREDIT_NS 1000000       /* 1 ms */

static struct {
    int on;              /* cw_set_adaptive */
    int cap;             /* 0: none; else the largest team allowed */
    int64_t until;       /* when the cap is probed (ns, CLOCK_MONOTONIC) */
    int64_t backoff;     /* the current cap's length (ns) */
    int64_t last_late;   /* when the last cap was set (ns) */
    int64_t lost;        /* the window's loss (ns) */
    int64_t last_end;    /* when the last team's call ended (ns): the window's
                            age and whether the helpers slept since */
    int64_t late, probes, capped;   /* counters (cw_adapt_stats) */
} st = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)

static int64_t cold_ns = CW_ADAPT_COLD_NS;

int64_t cw_adapt_set_cold(int64_t ns)
{
    return __atomic_exchange_n(&cold_ns, ns > 0 ? ns : CW_ADAPT_COLD_NS, __ATOMIC_RELAXED);
}

int64_t cw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cw_set_adaptive(int on)
{
    int prev = __atomic_exchange_n(&st.on, on != 0, __ATOMIC_RELAXED);
    cw_adapt_reset();
    return prev;
}

int cw_get_adaptive(void) { return LD(st.on); }

void cw_adapt_reset(void)
{
    ST(st.cap, 0);
    ST(st.until, 0);
    ST(st.backoff, 0);
    ST(st.last_late, 0);
    ST(st.lost, 0);
    ST(st.last_end, 0);
}

int cw_adapt_team(int want, int64_t now, int *probe)
{
    *probe = 0;
    if (!LD(st.on) || want <= 1)
        return want;
    int cap = LD(st.cap);
    if (cap <= 0 || cap >= want)
        return want;
    if (now < LD(st.until)) {
        INC(st.capped);
        return cap;
    }
    *probe = 1;
    INC(st.probes);
    return want;
}

int cw_adapt_observe(int team, int showed, int64_t start, int64_t end,
                     int64_t serial, int probe)
{
    if (!LD(st.on) || team <= 1)
        return 0;
    /* A call that finds the helpers asleep (the last team ended more than
     * CW_ADAPT_COLD_NS ago) pays for waking them: 0.2-0.8 ms on a VM whose
     * idle vCPU the host must schedule again (README, "Threading
     * contract"), and the caller's own first touch of cold caches and
     * futex wake-ups.  That is no sign of a busy machine, and a probe is
     * always such a call: it is not counted either way. */
    const int64_t prev = LD(st.last_end);
    ST(st.last_end, end);
    int cold = start - prev > LD(cold_ns);
    int64_t loss = cold ? 0 : end - start - serial / 10 * 9;
    /* the window, halved once per 2^CW_ADAPT_HALF_SHIFT ns since last seen */
    int64_t age = (end - prev) >> CW_ADAPT_HALF_SHIFT;
    int64_t lost = LD(st.lost);
    lost = age >= 62 || age < 0 ? 0 : lost / ((int64_t)1 << age);
    lost += loss;
    if (lost < -CW_ADAPT_CREDIT_NS)
        lost = -CW_ADAPT_CREDIT_NS;
    if (lost <= CW_ADAPT_SLACK_NS) {
        ST(st.lost, lost);
        if (probe)                   /* the machine has room again */
            ST(st.cap, 0);
        if (end - LD(st.last_late) > CW_ADAPT_CALM_NS && LD(st.backoff))
            ST(st.backoff, 0);
        return 0;
    }
    INC(st.late);
    ST(st.lost, 0);                  /* the probe starts a fresh window */
    int drop = team - showed;
    if (drop < 1)
        drop = 1;
    int cap = team - drop;
    int old = LD(st.cap);
    if (old > 0 && old < cap && !probe)
        cap = old;                   /* a racing caller capped lower */
    int64_t b = end - LD(st.last_late) > CW_ADAPT_CALM_NS ? 0 : LD(st.backoff) * 2;
    if (b < CW_ADAPT_MIN_NS)
        b = CW_ADAPT_MIN_NS;
    if (b > CW_ADAPT_MAX_NS)
        b = CW_ADAPT_MAX_NS;
    ST(st.last_late, end);
    ST(st.backoff, b);
    ST(st.cap, cap < 1 ? 1 : cap);
    ST(st.until, end + b);
    return 1;
}

void cw_adapt_stats(int64_t *out)
{
    out[0] = LD(st.cap);
    out[1] = LD(st.backoff);
    out[2] = LD(st.late);
    out[3] = LD(st.probes);
    out[4] = LD(st.capped);
    out[5] = LD(st.until);
}
