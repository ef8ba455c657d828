/* The dispatch level of corewise's own vector math (vmath.h): the best
 * the CPU has (AVX-512F, AVX2, baseline SSE2), or the one the environment
 * variable COREWISE_ISA=baseline|avx2|avx512 asks for, read once when the
 * library is loaded (at `import corewise`).  A level the CPU lacks falls
 * back to the best it has; cw_vmath_isa() names the level in use. */
#include <stdlib.h>
#include <string.h>
#include "vmath.h"
#include "../corewise.h"

static int level = -1;
long long cw_vm_exact_calls = 0;
int cw_vm_own = 0;

/* opt-in: COREWISE_VMATH=own (pkg/_lib.py refuses other values than own
 * and libmvec at import) */
__attribute__((constructor)) static void cw_vm_own_init(void)
{
    const char *s = getenv("COREWISE_VMATH");
    cw_vm_own = s && !strcmp(s, "own");
}

int cw_set_vmath(int own)
{
    return __atomic_exchange_n(&cw_vm_own, own ? 1 : 0, __ATOMIC_RELAXED);
}

int cw_get_vmath(void) { return cw_vm_own_on(); }

long long cw_vmath_exact_calls(void)
{
    return __atomic_load_n(&cw_vm_exact_calls, __ATOMIC_RELAXED);
}

static int cpu_level(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 1;
#endif
    return 0;
}

__attribute__((constructor)) static void cw_vm_init(void)
{
    int best = cpu_level(), want = best;
    const char *s = getenv("COREWISE_ISA");
    if (s && !strcmp(s, "baseline"))
        want = 0;
    else if (s && !strcmp(s, "avx2"))
        want = 1;
    else if (s && !strcmp(s, "avx512"))
        want = 2;
    level = want < best ? want : best;
}

int cw_vm_level(void)
{
    if (level < 0)
        cw_vm_init();
    return level;
}

const char *cw_vmath_isa(void)
{
    static const char *const names[3] = { "baseline", "avx2", "avx512" };
    return names[cw_vm_level()];
}

int cw_vmath_cpu_isa(void) { return cpu_level(); }

double cw_vmath_exact(int fn, double x)
{
    static double (*const f[8])(double) = { cw_vm_exp_exact, cw_vm_exp2_exact, cw_vm_log_exact,
                                            cw_vm_log2_exact, cw_vm_log10_exact, cw_vm_sin_exact,
                                            cw_vm_cos_exact, cw_vm_tan_exact };
    return fn >= 0 && fn < 8 ? f[fn](x) : x;
}

float cw_vmath_exact_f32(int fn, float x)
{
    static float (*const f[8])(float) = { cw_vm_expf_exact, cw_vm_exp2f_exact, cw_vm_logf_exact,
                                          cw_vm_log2f_exact, cw_vm_log10f_exact, cw_vm_sinf_exact,
                                          cw_vm_cosf_exact, cw_vm_tanf_exact };
    return fn >= 0 && fn < 8 ? f[fn](x) : x;
}

/* tools/vmath_check.c: switch the level in one process (not thread-safe;
 * never called by corewise itself) */
void cw_vm_set_level(int l);
void cw_vm_set_level(int l)
{
    int best = cpu_level();
    level = l < best ? l : best;
}
