/* Checks corewise's own vector math (csrc/vmath/) outside CI: for each
 * float64 function, N random inputs (default 2^22, over the domain and its
 * hard regions) through the vector loop of every ISA level this CPU has,
 * compared bit for bit with each other and with the exact fixed-point path
 * (mp.c, correctly rounded by construction; tests/test_vmath.py checks it
 * against mpmath).  It also counts the ordinary inputs whose fast path
 * failed the rounding test (they take the slow exact path): above 1 in
 * 10^4 the speed is lost.  Build (exp.c, log.c and trig.c are included,
 * for their element functions) and run from the repository root:
 *
 *   gcc -O3 -fopenmp -std=gnu11 -Icsrc/vmath tools/vmath_check.c csrc/vmath/vmath.c \
 *       csrc/vmath/mp.c -lm -o /tmp/vmath_check
 *   /tmp/vmath_check [N]
 *
 * Exit status 1 if any result differs or too many lanes took the exact path. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmath.h"
#include "exp.c"
#include "log.c"
#include "trig.c"

void cw_vm_set_level(int level);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double unif(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1p-53;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atoll(argv[1]) : (size_t)1 << 22;
    double *x = malloc(n * 8), *z = malloc(n * 8), *z0 = malloc(n * 8);
    enum { NF = 8 };
    static const char *names[NF] = { "exp", "exp2", "log", "log2", "log10", "sin", "cos", "tan" };
    static void (*const loops[NF])(ptrdiff_t, const double *, double *) = {
        cw_vm_exp, cw_vm_exp2, cw_vm_log, cw_vm_log2, cw_vm_log10, cw_vm_sin, cw_vm_cos, cw_vm_tan };
    static double (*const fast[NF])(double, uint64_t *, int) = {
        exp_fast, exp2_fast, log_fast, log2_fast, log10_fast, sin_fast, cos_fast, tan_fast };
    static double (*const exact[NF])(double) = {
        cw_vm_exp_exact, cw_vm_exp2_exact, cw_vm_log_exact, cw_vm_log2_exact, cw_vm_log10_exact,
        cw_vm_sin_exact, cw_vm_cos_exact, cw_vm_tan_exact };
    int best = cw_vm_level(), fail = 0;
    for (int f = 0; f < NF; f++) {
        for (size_t i = 0; i < n; i++) {
            double u = unif();
            if (f < 2)            /* exp: the whole range, a quarter in [-1, 1] */
                x[i] = i % 4 ? (f ? 2100 : 1460) * (u - 0.5) : 2 * u - 1;
            else if (f < 5)       /* log: every binade, a quarter near 1 */
                x[i] = i % 4 ? exp2(2098 * u - 1074) : 1 + (u - 0.5) * 0x1p-7;
            else                  /* sin, cos, tan: half in [-2^19, 2^19], a quarter in
                                   * [-8, 8], a quarter up to 2^1024 (the scalar tier) */
                x[i] = i % 4 == 0 ? 16 * (u - 0.5) : i % 4 == 1 ? exp2(1054 * u - 30) * (i & 8 ? -1 : 1)
                     : 0x1p20 * (u - 0.5);
        }
        size_t wrong = 0, differ = 0, slow = 0;
        for (int lv = 0; lv <= best; lv++) {
            cw_vm_set_level(lv);
            loops[f]((ptrdiff_t)n, x, lv ? z : z0);
            if (lv)
                for (size_t i = 0; i < n; i++)
                    differ += memcmp(&z[i], &z0[i], 8) != 0;
        }
        cw_vm_set_level(best);
        for (size_t i = 0; i < n; i++) {
            double e = exact[f](x[i]);
            wrong += memcmp(&e, &z0[i], 8) != 0 && !(isnan(e) && isnan(z0[i]));
            /* the rounding test's failures on ordinary inputs (not the
             * ranges that go to the exact path by design) */
            int special = f == 0 ? fabs(x[i]) >= 708 : f == 1 ? fabs(x[i]) >= 1020
                        : f < 5 ? x[i] < 0x1p-1022 : fabs(x[i]) >= 0x1p19 || fabs(x[i]) < 0x1p-27;
            uint64_t b;
            (void)fast[f](x[i], &b, 0);
            slow += b && !special;
        }
        printf("%-6s %zu inputs, ISA levels 0..%d: %zu differ between levels, %zu differ from "
               "the exact path; %zu failed the rounding test\n", names[f], n, best, differ, wrong, slow);
        fail |= differ || wrong || slow * 10000 > n;
    }
    return fail;
}
