/* corewise runtime: thread control, the serial threshold, the parallel
 * driver, fork safety and build/runtime information. */
#include <fenv.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "cw_internal.h"

/* ---- thread control ----------------------------------------------------- */

static int cw_global_threads = 0;                /* 0: follow OpenMP */
static _Thread_local int cw_local_threads = 0;   /* 0: no override */

int cw_set_global_threads(int n)
{
    return __atomic_exchange_n(&cw_global_threads, n > 0 ? n : 0,
                               __ATOMIC_RELAXED);
}

int cw_set_local_threads(int n)
{
    int prev = cw_local_threads;
    cw_local_threads = n > 0 ? n : 0;
    return prev;
}

int cw_get_local_threads(void) { return cw_local_threads; }

int cw_omp_max_threads(void) { return omp_get_max_threads(); }

int cw_get_num_threads(void)
{
    if (cw_local_threads > 0)
        return cw_local_threads;
    int g = __atomic_load_n(&cw_global_threads, __ATOMIC_RELAXED);
    return g > 0 ? g : omp_get_max_threads();
}

/* ---- serial threshold ------------------------------------------------------
 * A parallel region costs a few microseconds (waking the team, the closing
 * barrier).  Below cw_min_parallel / cost elements a call runs serially and
 * never enters a region; above it, each thread gets at least half that many
 * elements.  The default is the size from which two threads beat one for
 * sqrt, found with `python -m corewise bench --threshold` (figures in the
 * README, "Threading contract"). */
#define CW_DEFAULT_MIN_PARALLEL 4096
static ptrdiff_t cw_min_parallel = CW_DEFAULT_MIN_PARALLEL;

ptrdiff_t cw_set_min_parallel(ptrdiff_t n)
{
    return __atomic_exchange_n(&cw_min_parallel,
                               n > 0 ? n : CW_DEFAULT_MIN_PARALLEL,
                               __ATOMIC_RELAXED);
}

ptrdiff_t cw_get_min_parallel(void)
{
    return __atomic_load_n(&cw_min_parallel, __ATOMIC_RELAXED);
}

static ptrdiff_t threshold_for_cost(int cost)
{
    ptrdiff_t t = cw_get_min_parallel() / (cost > 0 ? cost : 1);
    return t > 1 ? t : 1;
}

/* ---- fork safety -------------------------------------------------------------
 * GNU libgomp is not fork-safe: a child forked after the parent ran a
 * parallel region deadlocks in its next one (the child inherits a pool whose
 * threads do not exist).  Before any fork() -- os.fork, multiprocessing,
 * or C code -- the forking thread releases its OpenMP pool if it has one;
 * parent and child then build a fresh team on their next parallel call. */
static _Thread_local int cw_pool_live = 0;
static int cw_pauses = 0;

static void cw_prepare_fork(void)
{
    if (cw_pool_live) {
        if (omp_pause_resource_all(omp_pause_hard) == 0) {
            cw_pool_live = 0;
            __atomic_add_fetch(&cw_pauses, 1, __ATOMIC_RELAXED);
        }
    }
}

static void cw_child_after_fork(void);

__attribute__((constructor)) static void cw_runtime_init(void)
{
    pthread_atfork(cw_prepare_fork, NULL, cw_child_after_fork);
}

int cw_fork_pauses(void) { return __atomic_load_n(&cw_pauses, __ATOMIC_RELAXED); }

/* ---- nested use: one thread budget per process ----------------------------------
 * Rule (README, "Hardening"): the corewise calls running at the same time in
 * one process share max(cores, n) threads, where cores is
 * omp_get_num_procs() and n the count the caller asked for, callers'
 * own threads included.  A call that would go parallel reserves its team
 * from the budget and gets what is left (at least its own thread: then it
 * runs serially and starts no helper thread), so 8 Python threads --
 * a thread pool, dask's threaded scheduler -- calling corewise at once do
 * not start 8 full teams on the same cores.  Results never depend on the
 * team size.  Calls below the serial threshold are not counted (they never
 * start a team).  Processes do not share a budget: give each worker process
 * cores / workers threads (see the README). */
static int cw_busy = 0;                   /* threads working for corewise calls */
static int cw_peak = 0;                   /* high-water mark of cw_busy */
static _Thread_local int cw_last_team = 0;

static int cw_budget_on = 1;

int cw_set_thread_budget(int on)
{
    return __atomic_exchange_n(&cw_budget_on, on != 0, __ATOMIC_RELAXED);
}

static int cw_reserve(int want)
{
    int limit = __atomic_load_n(&cw_budget_on, __ATOMIC_RELAXED) ? omp_get_num_procs() : 1 << 30;
    if (limit < want)
        limit = want;
    int cur = __atomic_load_n(&cw_busy, __ATOMIC_RELAXED), grant;
    do {
        grant = limit - cur;
        if (grant > want)
            grant = want;
        if (grant < 1)
            grant = 1;
    } while (!__atomic_compare_exchange_n(&cw_busy, &cur, cur + grant, 1,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    /* The high-water mark counts threads at the moment a team forms: it
     * never exceeds the limit.  (Callers that arrive while the cores are
     * taken add their own thread -- which the program runs anyway -- and
     * no helpers.) */
    int now = cur + grant, peak = __atomic_load_n(&cw_peak, __ATOMIC_RELAXED);
    while (grant > 1 && now > peak
           && !__atomic_compare_exchange_n(&cw_peak, &peak, now, 1,
                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    return grant;
}

static void cw_release(int grant)
{
    __atomic_sub_fetch(&cw_busy, grant, __ATOMIC_ACQ_REL);
}

/* The child of a fork has only the forking thread, which was not inside a
 * corewise call: threads counted by the parent's other callers are gone. */
static void cw_child_after_fork(void)
{
    __atomic_store_n(&cw_busy, 0, __ATOMIC_RELAXED);
    cw_adapt_reset();           /* the parent's observations are not the child's */
}

int cw_threads_busy(void) { return __atomic_load_n(&cw_busy, __ATOMIC_RELAXED); }

int cw_threads_peak(int reset)
{
    return reset ? __atomic_exchange_n(&cw_peak, 0, __ATOMIC_RELAXED)
                 : __atomic_load_n(&cw_peak, __ATOMIC_RELAXED);
}

int cw_last_team_size(void) { return cw_last_team; }

/* ---- the parallel driver ------------------------------------------------------ */

static int run_block(cw_block_fn fn, ptrdiff_t lo, ptrdiff_t hi, void *ctx)
{
    cw_fe_clear();
    fn(lo, hi, ctx);
    return cw_fe_flags();
}

/* Threads for n elements of work under threshold thr (each thread gets at
 * least thr / 2 elements); 1 means run serially, without a region. */
static int team_size(ptrdiff_t n, ptrdiff_t thr)
{
    if (n < thr)  /* first: a small call asks OpenMP nothing */
        return 1;
    int nt = cw_get_num_threads();
    if (nt <= 1 || omp_in_parallel())
        return 1;
    ptrdiff_t cap = n / (thr / 2 > 0 ? thr / 2 : 1);
    return cap < nt ? (int)cap : nt;
}

/* A call that runs serially: the caller's thread alone. */
static int run_serial(cw_block_fn fn, ptrdiff_t lo, ptrdiff_t hi, void *ctx)
{
    cw_last_team = 1;
    return run_block(fn, lo, hi, ctx);
}

/* How a team splits [0, units): contiguous blocks of elements
 * (cw_parallel_run) or one fn call per task (cw_parallel_tasks).  Either
 * way the team takes chunks -- CW_CHUNKS_PER_THREAD blocks per thread, or
 * single tasks -- from a shared counter, the caller's thread first: a
 * helper that starts late (its core taken by another process) finds less
 * work or none, and the call never waits for its share (adapt.c). */
enum { CW_SPLIT_BLOCKS, CW_SPLIT_TASKS };
#define CW_CHUNKS_PER_THREAD 4

typedef struct {
    cw_block_fn fn;
    void *ctx;
    ptrdiff_t units, chunk, nchunks;
    ptrdiff_t next;          /* the next chunk to take (atomic) */
    int showed;              /* threads that took at least one chunk (atomic) */
    int64_t rmin;            /* the fastest chunk: ns per 1024 units (atomic) */
} cw_team_work;

static void atomic_min64(int64_t *p, int64_t v)
{
    int64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < cur && !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* Test hook (cw_set_helper_delay): helpers wait this long before taking
 * work -- a simulated late helper. */
static int64_t cw_helper_delay = 0;

void cw_set_helper_delay(int64_t ns) { __atomic_store_n(&cw_helper_delay, ns, __ATOMIC_RELAXED); }

static int team_member(cw_team_work *w, int t)
{
    int flags = 0, took = 0;
    int64_t rmin = INT64_MAX, a = 0, b;
    if (t > 0) {
        int64_t d = __atomic_load_n(&cw_helper_delay, __ATOMIC_RELAXED);
        if (d > 0) {
            struct timespec ts = { (time_t)(d / 1000000000), (long)(d % 1000000000) };
            nanosleep(&ts, NULL);
        }
    }
    for (;;) {
        ptrdiff_t k = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
        if (k >= w->nchunks)
            break;
        ptrdiff_t lo = k * w->chunk, hi = lo + w->chunk;
        if (hi > w->units)
            hi = w->units;
        if (!took)
            a = cw_now_ns();
        flags |= run_block(w->fn, lo, hi, w->ctx);
        took = 1;
        b = cw_now_ns();
        int64_t r = (b - a) * 1024 / (hi - lo);
        rmin = r < rmin ? r : rmin;
        a = b;
    }
    if (took) {
        __atomic_add_fetch(&w->showed, 1, __ATOMIC_RELAXED);
        atomic_min64(&w->rmin, rmin);
    }
    return flags;
}

/* The one entry of every parallel path: fn over [0, units) for work of n
 * elements under serial threshold `thr` (threshold_for_cost).  Here, and only here, it is decided
 * whether the call runs serially (below the serial threshold, one thread
 * requested, inside a parallel region, or a grant of 1 from the nested-use
 * budget) and how many threads its team has: team_size() capped by
 * `units` for tasks, then by what adapt.c allows now (unless the count was
 * set explicitly with cw.threads / set_num_threads), then by the budget
 * (cw_reserve).  A serial run is still counted in the budget once the call
 * asked for a team.  Every team marks the pool live, so the fork hook
 * releases it.  Returns the CW_FPE_* flags the blocks raised. */
static int cw_dispatch(ptrdiff_t units, ptrdiff_t n, ptrdiff_t thr, int split,
                       cw_block_fn fn, void *ctx)
{
    int nt = team_size(n, thr);
    if (split == CW_SPLIT_TASKS && nt > units)
        nt = (int)units;
    if (nt <= 1)
        return run_serial(fn, 0, units, ctx);
    int adaptive = cw_local_threads == 0
                   && __atomic_load_n(&cw_global_threads, __ATOMIC_RELAXED) == 0;
    int probe = 0;
    int64_t start = adaptive ? cw_now_ns() : 0;
    if (adaptive) {
        nt = cw_adapt_team(nt, start, &probe);
        if (nt <= 1)
            return run_serial(fn, 0, units, ctx);
    }
    int grant = cw_reserve(nt);
    int flags = 0;
    if (grant <= 1) {
        flags = run_serial(fn, 0, units, ctx);
    } else {
        cw_team_work w = { fn, ctx, units, 1, units, 0, 0, INT64_MAX };
        if (split == CW_SPLIT_BLOCKS) {
            ptrdiff_t want = (ptrdiff_t)grant * CW_CHUNKS_PER_THREAD;
            ptrdiff_t c = (units + want - 1) / want;
            w.chunk = (c + 15) & ~(ptrdiff_t)15;  /* 64-byte aligned chunk edges */
            w.nchunks = (units + w.chunk - 1) / w.chunk;
        }
        cw_pool_live = 1;
#pragma omp parallel num_threads(grant) reduction(| : flags)
        {
            int t = omp_get_thread_num();
            if (t == 0)
                cw_last_team = omp_get_num_threads();
            flags |= team_member(&w, t);
        }
        if (adaptive) {
            /* one thread's time for the work: all of it at the fastest
             * chunk's rate */
            int64_t serial = w.rmin == INT64_MAX ? 0 : w.rmin * (int64_t)units / 1024;
            cw_adapt_observe(cw_last_team, w.showed, start, cw_now_ns(), serial, probe);
        }
    }
    cw_release(grant);
    return flags;
}

int cw_parallel_run(ptrdiff_t n, int cost, cw_block_fn fn, void *ctx)
{
    return cw_dispatch(n, n, threshold_for_cost(cost), CW_SPLIT_BLOCKS, fn, ctx);
}

/* As cw_parallel_run, with the serial threshold given in elements (the
 * NumPy loop adaptor, csrc/patch.c: patch_numpy(min_elements=N)). */
int cw_parallel_run_thr(ptrdiff_t n, ptrdiff_t thr, cw_block_fn fn, void *ctx)
{
    return cw_dispatch(n, n, thr > 1 ? thr : 1, CW_SPLIT_BLOCKS, fn, ctx);
}

/* A fixed list of ntasks tasks of about task_elems elements each, counted
 * as ntasks * task_elems elements of cost 1 for the serial threshold.  For
 * reductions whose task list does not depend on the thread count
 * (csrc/reduce.c). */
int cw_parallel_tasks(ptrdiff_t ntasks, ptrdiff_t task_elems, cw_block_fn fn, void *ctx)
{
    if (ntasks <= 0)
        return 0;
    ptrdiff_t n = task_elems > PTRDIFF_MAX / ntasks ? PTRDIFF_MAX : ntasks * task_elems;
    return cw_dispatch(ntasks, n, threshold_for_cost(1), CW_SPLIT_TASKS, fn, ctx);
}

/* ---- the roof: parallel copy ---------------------------------------------------- */

typedef struct {
    const char *src;
    char *dst;
} copy_ctx;

/* STREAM "copy" (c[j] = a[j]): a plain vectorised loop with ordinary
 * stores, the same access pattern as the element-wise kernels.  GCC would
 * turn the loop into a memcpy call (whose non-temporal stores measure a
 * different thing), hence no-tree-loop-distribute-patterns. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
CW_DISPATCH static void copy_words(ptrdiff_t n, const double *restrict a,
                                   double *restrict c)
{
    for (ptrdiff_t j = 0; j < n; j++)
        c[j] = a[j];
}

static void copy_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const copy_ctx *c = (const copy_ctx *)vctx;
    copy_words(hi - lo, (const double *)c->src + lo, (double *)c->dst + lo);
}

int cw_parallel_copy(ptrdiff_t nbytes, const char *src, char *dst)
{
    if (nbytes < 0)
        return CW_ESHAPE;
    if (nbytes == 0)
        return CW_OK;
    if (!src || !dst)
        return CW_ENULL;
    copy_ctx c = { src, dst };
    ptrdiff_t words = nbytes / 8, tail = nbytes - words * 8;
    cw_parallel_run(words, 1, copy_block, &c);
    memcpy(dst + words * 8, src + words * 8, (size_t)tail);
    return CW_OK;
}

/* ---- information -------------------------------------------------------------- */

const char *cw_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

const char *cw_openmp_runtime(void)
{
#if defined(__clang__)
    return "LLVM libomp";
#elif defined(__GNUC__)
    return "GNU libgomp";
#else
    return "unknown";
#endif
}

int cw_openmp_version(void) { return _OPENMP; }

int cw_num_procs(void) { return omp_get_num_procs(); }

const char *cw_simd_level(void)
{
#if CW_HAVE_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "avx2 (vector-math loops, max/min/argmax/argmin reductions, float32 tanh: avx512f)";
    if (__builtin_cpu_supports("avx2"))
        return cw_vtanhf_pick(NULL) ? "avx2 (float32 tanh: avx2+fma)" : "avx2";
    return "sse2";
#elif defined(CW_NATIVE)
    return "native (-march=native)";
#else
    return "compiler default (no runtime dispatch)";
#endif
}

/* ---- for run-time generated code (corewise.evaluate) ---------------------------- */

void *cw_parallel_driver(void) { return (void *)cw_parallel_run; }
void *cw_parallel_tasks_driver(void) { return (void *)cw_parallel_tasks; }
