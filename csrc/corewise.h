/* corewise public C API.
 *
 * This header is "cdef-clean": build_ffi.py feeds it verbatim to cffi's
 * ffi.cdef(), so it holds declarations only -- no preprocessor lines, no
 * inline code.  C files include <stddef.h> before it.
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
    CW_NDTYPES = 2
} cw_dtype;

typedef enum {
    CW_MAXDIMS = 64
} cw_limits;

/* One row of the operation table (csrc/ops.def), exported for the facade. */
typedef struct {
    const char *name;     /* NumPy's name for the function */
    const char *doc;      /* one-line summary */
    int nin;              /* number of array inputs */
    int nout;             /* number of outputs */
    int cost;             /* relative cost per element, 1 = sqrt */
    int max_ulp;          /* accuracy contract; 0 = correctly rounded */
} cw_op_info;

int cw_op_count(void);
const cw_op_info *cw_op_get(int op);

/* y = f(x) element-wise over a contiguous 1-D run of n elements. */
int cw_unary_contig(int op, int dtype, ptrdiff_t n, const char *x, char *y);

/* y = f(x) over an ndim-dimensional strided iteration space (byte strides,
 * index 0 of every dimension at the given pointers). */
int cw_unary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                     const char *x, const ptrdiff_t *xstrides,
                     char *y, const ptrdiff_t *ystrides);

/* ---- runtime (csrc/runtime.c) ---- */
const char *cw_version(void);
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
int cw_get_global_threads(void);
int cw_set_local_threads(int n);      /* returns the previous setting */
int cw_get_local_threads(void);
int cw_get_num_threads(void);         /* effective count for this thread */
int cw_omp_max_threads(void);

/* Serial threshold: an operation of relative cost c runs serially (no
 * OpenMP region) below min_parallel / c elements, and each thread gets at
 * least half that many.  Tunable for benchmarking (bench --threshold). */
ptrdiff_t cw_set_min_parallel(ptrdiff_t n);  /* returns previous; n<=0 resets */
ptrdiff_t cw_get_min_parallel(void);
ptrdiff_t cw_parallel_threshold(int op);      /* elements below which op runs serially */

/* The machine's roof for memory-bound kernels: a STREAM-like parallel copy
 * of nbytes (src and dst 8-byte aligned), split into blocks exactly like the
 * kernels (benchmarks only). */
int cw_parallel_copy(ptrdiff_t nbytes, const char *src, char *dst);

/* Fork safety: number of times the OpenMP pool was released before a fork. */
int cw_fork_pauses(void);

/* ---- hardening: nested-use thread budget (csrc/runtime.c) ----
 * Calls running at once in a process share max(cores, requested) threads;
 * these report it (tests and diagnostics). */
int cw_threads_busy(void);            /* threads now working for corewise calls */
int cw_threads_peak(int reset);       /* the above when a team last formed, high-water
                                         mark (never over the limit); reset -> 0 */
int cw_last_team_size(void);          /* team of this thread's last call (1 = serial) */
