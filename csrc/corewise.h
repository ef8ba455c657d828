/* corewise public C API.
 *
 * This header is "cdef-clean": build_ffi.py feeds it verbatim to cffi's
 * ffi.cdef(), so it holds declarations only -- no preprocessor lines, no
 * inline code.  C files include <stddef.h> and <stdint.h> before it.
 *
 * Conventions: shapes and byte strides are ptrdiff_t (negative strides and
 * zero strides allowed; more than 2**31 elements are fine).  Every entry
 * point returns a cw_status; Python owns all memory (C never allocates what
 * Python receives).
 */

typedef enum {
    CW_OK = 0,
    CW_EOP = 1,        /* unknown operation id */
    CW_EDTYPE = 2,     /* dtype code not supported by this operation */
    CW_ENDIM = 3,      /* ndim < 1 or > CW_MAXDIMS */
    CW_ESHAPE = 4,     /* negative extent */
    CW_EOVERLAP = 5,   /* input and output partially overlap (contiguous path) */
    CW_ENULL = 6,      /* NULL data pointer with a non-empty array */
    CW_STATUS_MASK = 255,
    /* Floating-point exceptions raised by the computation, OR-ed into the
     * returned status above the low byte (NumPy reports them per
     * np.errstate, and so does the facade). */
    CW_FPE_DIVBYZERO = 256,
    CW_FPE_OVERFLOW = 512,
    CW_FPE_UNDERFLOW = 1024,
    CW_FPE_INVALID = 2048
} cw_status;

typedef enum {
    CW_F32 = 0,
    CW_F64 = 1,
    CW_I32 = 2,        /* native int loops: rows with an int column, comparisons */
    CW_I64 = 3,
    CW_NDTYPES = 4
} cw_dtype;

/* Loop codes of the complex loops (csrc/complex.c, the CW_COMPLEX rows of
 * ops.def): interleaved (re, im) pairs as NumPy stores them. */
typedef enum {
    CW_C64 = 8,
    CW_C128 = 9
} cw_cdtype;

/* Output kind of a complex loop. */
typedef enum {
    CW_CX_U = 0,       /* unary, complex result */
    CW_CX_B = 1,       /* binary, complex result */
    CW_CX_R = 2,       /* unary, real result of the same precision (absolute) */
    CW_CX_C = 3        /* binary, bool result (comparisons) */
} cw_cx_kind;

/* One CW_COMPLEX row of ops.def: the complex loops of the row `name`. */
typedef struct {
    const char *name;     /* the row (NumPy's name) */
    int kind;             /* cw_cx_kind */
    int numpy_bits;       /* 1: bitwise NumPy 2.4's loop (same formula, same libm) */
    double max_ulp;       /* accuracy bound (complex128), in ULP of the larger
                             component of the exact result; 0 = exact */
    double max_ulp_c64;   /* the same for complex64 */
    int fpe;              /* cw_fpe_policy of these loops */
} cw_complex_info;

int cw_complex_count(void);
const cw_complex_info *cw_complex_get(int i);

/* FP-exception policy of a row (the fpe column of ops.def). */
typedef enum {
    CW_QUIET = 0,      /* never reports FP exceptions (as NumPy's loop) */
    CW_FPE = 1,        /* reports them; the facade warns per np.errstate */
    CW_VMATH = 2       /* as CW_FPE, but the flags of a vector-math loop are
                          re-derived by a scalar libm pass whenever it raised
                          any (libmvec raises spurious ones, e.g. invalid for
                          exp(inf)); the vector results are kept */
} cw_fpe_policy;

typedef enum {
    CW_MAXDIMS = 64,      /* dimensions of an n-d call (NumPy's NPY_MAXDIMS) */
    CW_MAX_OPERANDS = 64  /* arrays one n-d walk visits together, output included:
                             the bound of cw_nd_walk's per-operand arrays; the
                             facade refuses a call that would need more */
} cw_limits;

/* Which of NumPy's dtypes a row's native loops may compute (the flags
 * column of ops.def; csrc/ops.def repeats the values for the preprocessor). */
typedef enum {
    CW_FL_U64 = 1,        /* uint64 by the int64 loop: the same bits */
    CW_FL_NOBOOL = 2,     /* bool is not computed by the int32 loop */
    CW_FL_NONARROW = 4,   /* int8/int16 are not widened (an overflow warning
                             of theirs would be lost) */
    CW_FL_NOHALF = 8      /* float16 is not computed in float32 */
} cw_dtype_flags;

/* The kind of a row (the row macro of ops.def). */
typedef enum {
    CW_KUNARY = 0, CW_KBINARY = 1, CW_KPREDICATE = 2, CW_KCOMPARE = 3,
    CW_KINTOP = 4,        /* integer-only (no float loops) */
    CW_KLOGICAL = 5,      /* truth values: bool out, every numeric input */
    CW_KNUMPY = 6,        /* no native loop: NumPy's own ufunc serves it */
    CW_KMULTI = 7         /* two outputs or mixed dtypes: loops in cw_mloop_get */
} cw_row_kind;

/* One row of the operation table (csrc/ops.def), exported for the facade. */
typedef struct {
    const char *name;     /* NumPy's name for the function */
    const char *doc;      /* one-line summary */
    int nin;              /* number of array inputs */
    int nout;             /* number of outputs */
    int cost;             /* relative cost per element, 1 = sqrt */
    double max_ulp;       /* accuracy contract (float64); 0 = exact, 0.5 = correctly rounded */
    double max_ulp_f32;   /* accuracy contract (float32) */
    int int_loops;        /* 1: native int32/int64 loops */
    int bool_out;         /* 1: the result is bool (predicates, comparisons) */
    int fpe;              /* cw_fpe_policy */
    int kind;             /* cw_row_kind */
    int float_loops;      /* 1: native float32/float64 loops */
    int dtype_flags;      /* cw_dtype_flags */
} cw_op_info;

int cw_op_count(void);
const cw_op_info *cw_op_get(int op);

/* One loop of a CW_MULTI row (the CW_MLOOP lines of ops.def): the row's
 * name, its operand count (inputs then outputs) and their cw_dtype codes
 * (-1 past nops). */
typedef struct {
    const char *name;
    int nops;
    int types[4];
} cw_mloop_info;

int cw_mloop_count(void);
const cw_mloop_info *cw_mloop_get(int loop);

/* Run loop `loop` of the CW_MULTI row `op` over an ndim-dimensional
 * iteration space: ptrs[k] is operand k (inputs, then outputs) at index 0,
 * strides[k * ndim + d] its byte stride along dimension d (zero strides
 * broadcast).  Outputs must not overlap each other or an input other than
 * exactly (the facade copies such inputs first). */
int cw_multi_strided(int op, int loop, int ndim, const ptrdiff_t *shape,
                     char *const *ptrs, const ptrdiff_t *strides);

/* y = f(x) element-wise over a contiguous 1-D run of n elements. */
int cw_unary_contig(int op, int dtype, ptrdiff_t n, const char *x, char *y);

/* y = f(x) over an ndim-dimensional strided iteration space (byte strides,
 * index 0 of every dimension at the given pointers). */
int cw_unary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                     const char *x, const ptrdiff_t *xstrides,
                     char *y, const ptrdiff_t *ystrides);

/* ---- the math family ---- */

/* z = f(x, y) over n elements; xs and ys are the item size (an array) or 0
 * (a scalar repeated n times).  x and y are void * so that a scalar may be
 * passed as a C double/float pointer. */
int cw_binary_contig(int op, int dtype, ptrdiff_t n, const void *vx, ptrdiff_t xs,
                     const void *vy, ptrdiff_t ys, char *z);

/* z = f(x, y) over an ndim-dimensional strided iteration space (byte
 * strides; zero strides broadcast). */
int cw_binary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                      const char *x, const ptrdiff_t *xstrides,
                      const char *y, const ptrdiff_t *ystrides,
                      char *z, const ptrdiff_t *zstrides);

/* NumPy's second names for rows (abs -> absolute, ...): target 0 gives the
 * alias, 1 the row's name. */
int cw_alias_count(void);
const char *cw_alias_get(int i, int target);

/* ---- runtime (csrc/runtime.c) ---- */
const char *cw_version(void);
/* the dispatch level of corewise's own vector math (csrc/vmath/):
 * "baseline", "avx2" or "avx512" (COREWISE_ISA at load; the CPU's best);
 * cw_vmath_cpu_isa: the best level this CPU has, 0..2 in that order */
const char *cw_vmath_isa(void);
int cw_vmath_cpu_isa(void);
/* whether float64 and float32 exp/exp2/log/log2/log10/sin/cos/tan use that code (1) or libmvec
 * (0, the default; COREWISE_VMATH=own at load sets 1); cw_set_vmath
 * returns the previous setting */
int cw_set_vmath(int own);
int cw_get_vmath(void);
/* the exact (scalar, fixed-point) path of function fn (0 exp, 1 exp2,
 * 2 log, 3 log2, 4 log10, 5 sin, 6 cos, 7 tan), which the vector loops use for the lanes that
 * fail their rounding test: exposed so that the tests check it directly */
double cw_vmath_exact(int fn, double x);
float cw_vmath_exact_f32(int fn, float x);   /* the same for float32 */
/* how many elements the vector loops have sent to the exact path so far
 * (special inputs and failed rounding tests; for the tests) */
long long cw_vmath_exact_calls(void);
/* whether the flag pass of the libmvec rows re-evaluates only the elements
 * whose vector output is not an ordinary number (1, the default) or every
 * element of the stretch (0): the tests compare the two; returns the
 * previous setting */
int cw_set_flag_filter(int on);
const char *cw_build_flags(void);
const char *cw_compiler(void);
const char *cw_openmp_runtime(void);
int cw_openmp_version(void);          /* the _OPENMP date, e.g. 201511 */
const char *cw_simd_level(void);      /* ISA the dispatched kernels run */
int cw_num_procs(void);

/* Thread control.  Effective count for a call, in order of precedence:
 * the calling thread's override (cw_set_local_threads), the process-wide
 * setting (cw_set_global_threads), else omp_get_max_threads() read at call
 * time (so OMP_NUM_THREADS and threadpoolctl work).  0 means "not set". */
int cw_set_global_threads(int n);     /* returns the previous setting */
int cw_set_local_threads(int n);      /* returns the previous setting */
int cw_get_local_threads(void);
int cw_get_num_threads(void);         /* effective count for this thread */
int cw_omp_max_threads(void);

/* Serial threshold: an operation of relative cost c runs serially (no
 * OpenMP region) below min_parallel / c elements, and each thread gets at
 * least half that many.  Tunable for benchmarking (bench --threshold). */
ptrdiff_t cw_set_min_parallel(ptrdiff_t n);  /* returns previous; n<=0 resets */
ptrdiff_t cw_get_min_parallel(void);

/* The machine's roof for memory-bound kernels: a STREAM-like parallel copy
 * of nbytes (src and dst 8-byte aligned), split into blocks exactly like the
 * kernels (benchmarks only). */
int cw_parallel_copy(ptrdiff_t nbytes, const char *src, char *dst);

/* Fork safety: number of times the OpenMP pool was released before a fork. */
int cw_fork_pauses(void);

/* ---- reductions and selections (csrc/reduce.c) ----
 * Reductions are deterministic: the result depends on the data, its
 * logical (C-order) arrangement and the reduce block size -- never on the
 * thread count.  See the comment at the top of reduce.c. */
typedef enum {
    CW_RSUM = 0, CW_RPROD = 1, CW_RMEAN = 2, CW_RNANSUM = 3,
    CW_RMAX = 4, CW_RMIN = 5, CW_RNANMAX = 6, CW_RNANMIN = 7,
    CW_RARGMAX = 8, CW_RARGMIN = 9, CW_RCOUNT = 10, CW_RDOT = 11,
    CW_RNOPS = 12
} cw_reduce_op;

/* Input dtypes of a reduction.  CW_RB8..CW_RB64: items of 1/2/4/8 bytes
 * tested for truth as (bits & mask) != 0 (count_nonzero, selections).
 * CW_RC64/CW_RC128: complex64/complex128 (CW_RPROD only; output the same
 * complex dtype). */
typedef enum {
    CW_RF32 = 0, CW_RF64 = 1, CW_RI64 = 2, CW_RU64 = 3,
    CW_RB8 = 4, CW_RB16 = 5, CW_RB32 = 6, CW_RB64 = 7,
    CW_RC64 = 8, CW_RC128 = 9,
    CW_RNDTYPES = 10
} cw_reduce_dtype;

/* Reduce the LAST nred of ndim dimensions of x (byte strides xstrides) in
 * C order; the first ndim - nred dimensions are kept and written to out
 * (byte strides ostrides).  Output dtype: f32/f64 for float sum, prod,
 * mean, min, max, nan*; c64/c128 for complex prod; int64/uint64 bits for
 * integer ones and count;
 * int64 flat index (over the reduced dimensions) for argmin/argmax.
 * An empty reduction (and CW_RDOT) is refused: the facade handles it. */
int cw_reduce(int op, int dtype, int ndim, const ptrdiff_t *shape,
              const char *x, const ptrdiff_t *xstrides, int nred,
              char *out, const ptrdiff_t *ostrides, uint64_t mask);

/* The facade's fast path for max/min/nanmax/nanmin (cw_sel_flat: the
 * value, a float32 one widened exactly) and argmax/argmin (cw_arg_flat:
 * the index) of n >= 1 contiguous, aligned CW_RF32/CW_RF64 items: what
 * cw_reduce gives for them, returned by value (no shape arrays, no output
 * buffer).  A bad op/dtype/n/x: NaN and -1. */
double cw_sel_flat(int op, int dtype, ptrdiff_t n, const char *x);
int64_t cw_arg_flat(int op, int dtype, ptrdiff_t n, const char *x);

/* out[0] = sum(x[i] * y[i]) over n elements of two strided vectors. */
int cw_dot(int dtype, ptrdiff_t n, const char *x, ptrdiff_t xs,
           const char *y, ptrdiff_t ys, char *out);

/* Block size (elements) of the fixed decomposition; n <= 0 resets to the
 * default 8192.  Changing it changes float sums' rounding (tests only). */
ptrdiff_t cw_set_reduce_block(ptrdiff_t n);
ptrdiff_t cw_get_reduce_block(void);

/* Selections, two passes over a condition of `width`-byte items (truth:
 * (bits & mask) != 0), n-d with byte strides:
 *   nb = cw_select_nblocks(n); counts = int64[nb + 1] (Python-owned);
 *   cw_select_count(...) -> per-block counts and the total;
 *   Python allocates the outputs; cw_select_fill(...) writes them.
 * Modes: CW_SEL_FLAT (outs[0]: int64 C-order flat indices), CW_SEL_MULTI
 * (outs[d]: int64 index along dimension d), CW_SEL_VALUES (outs[0]: items
 * of v, vitemsize bytes each, v with the condition's shape). */
typedef enum { CW_SEL_FLAT = 0, CW_SEL_MULTI = 1, CW_SEL_VALUES = 2 } cw_select_mode;
ptrdiff_t cw_select_nblocks(ptrdiff_t n);
int cw_select_count(int width, uint64_t mask, int ndim, const ptrdiff_t *shape,
                    const char *c, const ptrdiff_t *cstrides,
                    ptrdiff_t nblocks, int64_t *counts, int64_t *total);
int cw_select_fill(int width, uint64_t mask, int ndim, const ptrdiff_t *shape,
                   const char *c, const ptrdiff_t *cstrides,
                   ptrdiff_t nblocks, int64_t *counts, int mode, char *const *outs,
                   const char *v, const ptrdiff_t *vstrides, ptrdiff_t vitemsize);

/* Roof for reductions: a parallel read of nbytes (8-byte aligned), summed
 * as uint64 words so that nothing is optimised away (benchmarks only). */
int cw_parallel_read(ptrdiff_t nbytes, const char *src, uint64_t *sink);

/* ---- fused expressions: corewise.evaluate (pkg/_evaluate.py) ---- */
/* C code generated and compiled at run time cannot link against this
 * module's symbols; it receives the parallel driver cw_parallel_run
 * (cw_internal.h) as this address, so thread count, serial threshold, fork
 * safety and floating-point flag reporting are the package's own. */
void *cw_parallel_driver(void);
/* cw_parallel_tasks (cw_internal.h) as an address, for the reductions of
 * user kernels (corewise.ReductionKernel, pkg/_kernels.py). */
void *cw_parallel_tasks_driver(void);

typedef enum {
    CW_EINTPOW = 64,   /* integer raised to a negative integer power */
    CW_ETRIG = 128     /* a sin/cos/tan argument 2^19 <= |x| < inf in a JIT
                          loop (csrc/cw_eval.h): evaluate runs the call again
                          on the block interpreter; never an error */
} cw_eval_status;

/* ---- evaluate without a compiler: the block interpreter (csrc/interp.c,
 * pkg/_interp.py) ----
 * Instructions are 5 int32 each: op (an index of the op table), destination
 * register (-1: the output; the last instruction, and only it), up to three
 * source registers.  Registers 0..nin-1 are the operands, then scratch.
 * Per operand (nin inputs, then the output): kind (0 contiguous, 1 size-1
 * scalar, 2 strided n-d), item size, base pointer; strides: ndim per
 * operand.  Returns a cw_status | CW_FPE_* flags | CW_EINTPOW. */
int cw_interp_nops(void);
const char *cw_interp_op_name(int op);
int cw_interp_op_nargs(int op);
int cw_interp(const int32_t *prog, int ninstr, int nregs, int nin, ptrdiff_t block,
              const int32_t *kind, const int32_t *isz, char **base, int ndim,
              const ptrdiff_t *shape, const ptrdiff_t *strides, int cost);

/* ---- hardening: nested-use thread budget (csrc/runtime.c) ----
 * Calls running at once in a process share max(cores, requested) threads;
 * these report it (tests and diagnostics). */
int cw_threads_busy(void);            /* threads now working for corewise calls */
int cw_threads_peak(int reset);       /* the above when a team last formed, high-water
                                         mark (never over the limit); reset -> 0 */
int cw_last_team_size(void);          /* team of this thread's last call (1 = serial) */
int cw_set_adaptive(int on);         /* adaptation to a busy machine (adapt.c): on by
                                         default; returns the previous state; resets it */
int cw_get_adaptive(void);
void cw_adapt_reset(void);            /* forget what was observed */
/* The state machine itself, for tests with simulated clocks: the team a call
 * wanting `want` threads gets at time `now` (*probe: this call tests a cap),
 * and what a call reports (team formed, threads that took work, its start,
 * its end, one thread's time for the same work; ns).  Returns 1 if the call
 * capped the team. */
int cw_adapt_team(int want, int64_t now, int *probe);
int cw_adapt_observe(int team, int showed, int64_t start, int64_t end,
                     int64_t serial, int probe);
/* out[0..5]: cap (0 none), back-off ns, late calls, probes, capped calls,
 * cap's end (ns, CLOCK_MONOTONIC) */
void cw_adapt_stats(int64_t *out);
int64_t cw_now_ns(void);
void cw_set_helper_delay(int64_t ns); /* test hook: helpers start this late */
int64_t cw_adapt_set_cold(int64_t ns); /* test hook: the pause after which a call
                                         is not judged (ns; <= 0 resets); returns
                                         the previous one */
int cw_set_thread_budget(int on);     /* 0 switches the budget off (benchmarks measure
                                         the rule that way); returns the previous state */

/* ---- the NumPy loop adaptor: corewise.patch_numpy (csrc/patch.c, pkg/_patch.py) ----
 * A slot stands for one legacy inner loop of one ufunc (one type signature).
 * cw_patch_loop(slot) is the slot's replacement loop (NumPy's
 * PyUFuncGenericFunction signature); it calls the slot's original loop
 * directly below the slot's threshold, else on blocks of [0, n) from the
 * corewise team (cw_dispatch), or directly where splitting could change
 * the result (an output that aliases an operand with another step). */
typedef enum {
    CW_PATCH_SLOTS = 4096,   /* loops that can be replaced at once */
    CW_PATCH_MAXARGS = 16    /* operands of a loop (inputs + outputs) */
} cw_patch_limits;

typedef enum {
    CW_PATCH_ELEMENTWISE = 0,
    CW_PATCH_REDUCIBLE = 1   /* nin 2, nout 1, one exact associative type (integer
                                add/multiply, min/max, bitwise, logical): a
                                reduction (out aliases in1, step 0) may be split */
} cw_patch_kind;

/* The slot's replacement loop (NumPy's PyUFuncGenericFunction type). */
void *cw_patch_loop(int slot);
/* Describes the loop a slot stands for, before it goes into a ufunc:
 * nin + nout operands of itemsizes bytes, kind (cw_patch_kind), serial
 * threshold in elements.  May be called again on a live slot (a new
 * threshold). */
int cw_patch_prepare(int slot, int nin, int nout, const ptrdiff_t *itemsizes, int kind,
                     ptrdiff_t min_elements);
/* The loop the slot's replacement displaced in the ufunc: the one it calls.
 * Kept after unpatching, so that calls still inside the replacement finish
 * correctly. */
int cw_patch_set_original(int slot, void *orig);
/* Address of the slot's original loop (NULL: never installed). */
void *cw_patch_original(int slot);
/* Calls of replacement loops that took a parallel path (any slot, any thread;
 * tests and the self-check of patch_numpy); reset -> 0. */
int64_t cw_patch_parallel_calls(int reset);

/* ---- scans (csrc/scan.c) ----
 * Inclusive scans along the LAST of ndim dimensions of x (byte strides
 * xstrides) into y (ystrides), input and output of the same cw_dtype
 * (CW_F32/CW_F64/CW_I32/CW_I64; integers wrap around).  Deterministic:
 * blocks of cw_get_scan_block() elements, a fixed carry order -- the result
 * never depends on the thread count or the layout (see scan.c's comment for
 * the method and the error bound).  y may be x itself (same address and
 * strides); a partial overlap is the facade's to avoid.  scratch: at least
 * cw_scan_scratch(ndim, shape) 8-byte items (Python-owned; NULL when that
 * is 0). */
typedef enum {
    CW_SCAN_ADD = 0, CW_SCAN_MUL = 1, CW_SCAN_MAX = 2, CW_SCAN_MIN = 3,
    CW_SCAN_NANADD = 4, CW_SCAN_NANMUL = 5,   /* NaN read as 0 / 1 */
    CW_SCAN_NOPS = 6
} cw_scan_op;
ptrdiff_t cw_scan_scratch(int ndim, const ptrdiff_t *shape);
int cw_scan(int op, int dtype, int ndim, const ptrdiff_t *shape,
            const char *x, const ptrdiff_t *xstrides, char *y, const ptrdiff_t *ystrides,
            char *scratch, ptrdiff_t scratch_n);
/* Block size (elements) of the scans; n <= 0 resets to the default 4000.
 * Changing it changes float scans' rounding (tests only). */
ptrdiff_t cw_set_scan_block(ptrdiff_t n);
ptrdiff_t cw_get_scan_block(void);
