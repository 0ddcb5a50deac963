"""Functions the generated file's headers (<stdlib.h> <string.h> <math.h> <time.h> <unistd.h>,
<omp.h>; gnu11, glibc) declare: an exported kernel may not take one of their names (a model
node called "select" or "abs" would clash), so entry_symbol prefixes them."""

LIBC_FUNCTIONS = frozenset("""
a64l abort abs access acct acos acosf acosh acoshf acoshl acosl alarm aligned_alloc alloca arc4random
arc4random_buf arc4random_uniform asctime asctime_r asin asinf asinh asinhf asinhl asinl at_quick_exit atan
atan2 atan2f atan2l atanf atanh atanhf atanhl atanl atexit atof atoi atol atoll bcmp bcopy brk bsearch bzero
calloc cbrt cbrtf cbrtl ceil ceilf ceill chdir chown chroot clearenv clock clock_getcpuclockid clock_getres
clock_gettime clock_nanosleep clock_settime close closefrom confstr copysign copysignf copysignl cos cosf
cosh coshf coshl cosl crypt ctime ctime_r daemon difftime div drand48 drand48_r drem dremf dreml dup dup2
dysize ecvt ecvt_r endusershell erand48 erand48_r erf erfc erfcf erfcl erff erfl execl execle execlp execv
execve execvp exit exp exp2 exp2f exp2l expf expl explicit_bzero expm1 expm1f expm1l fabs fabsf fabsl
faccessat fchdir fchown fchownat fcvt fcvt_r fdatasync fdim fdimf fdiml fexecve ffs ffsl ffsll finite finitef
finitel floor floorf floorl fma fmaf fmal fmax fmaxf fmaxl fmin fminf fminl fmod fmodf fmodl fork fpathconf
free frexp frexpf frexpl fsync ftruncate gamma gammaf gammal gcvt getcwd getdomainname getdtablesize getegid
getentropy getenv geteuid getgid getgroups gethostid gethostname getloadavg getlogin getlogin_r getopt
getpagesize getpass getpgid getpgrp getpid getppid getsid getsubopt getuid getusershell getwd gmtime gmtime_r
hypot hypotf hypotl ilogb ilogbf ilogbl index initstate initstate_r isatty isinf isinff isinfl isnan isnanf
isnanl j0 j0f j0l j1 j1f j1l jn jnf jnl jrand48 jrand48_r l64a labs lchown lcong48 lcong48_r ldexp ldexpf
ldexpl ldiv lgamma lgamma_r lgammaf lgammaf_r lgammal lgammal_r link linkat llabs lldiv llrint llrintf
llrintl llround llroundf llroundl localtime localtime_r lockf log log10 log10f log10l log1p log1pf log1pl
log2 log2f log2l logb logbf logbl logf logl lrand48 lrand48_r lrint lrintf lrintl lround lroundf lroundl
lseek malloc mblen mbstowcs mbtowc memccpy memchr memcmp memcpy memmove memset mkdtemp mkstemp mkstemps
mktemp mktime modf modff modfl mrand48 mrand48_r nan nanf nanl nanosleep nearbyint nearbyintf nearbyintl
nextafter nextafterf nextafterl nexttoward nexttowardf nexttowardl nice nrand48 nrand48_r omp_aligned_alloc
omp_aligned_calloc omp_alloc omp_calloc omp_capture_affinity omp_destroy_allocator omp_destroy_lock
omp_destroy_nest_lock omp_display_affinity omp_display_env omp_free omp_fulfill_event omp_get_active_level
omp_get_affinity_format omp_get_ancestor_thread_num omp_get_cancellation omp_get_default_allocator
omp_get_default_device omp_get_device_num omp_get_dynamic omp_get_initial_device omp_get_level
omp_get_max_active_levels omp_get_max_task_priority omp_get_max_teams omp_get_max_threads omp_get_nested
omp_get_num_devices omp_get_num_places omp_get_num_procs omp_get_num_teams omp_get_num_threads
omp_get_partition_num_places omp_get_partition_place_nums omp_get_place_num omp_get_place_num_procs
omp_get_place_proc_ids omp_get_proc_bind omp_get_schedule omp_get_supported_active_levels omp_get_team_num
omp_get_team_size omp_get_teams_thread_limit omp_get_thread_limit omp_get_thread_num omp_get_wtick
omp_get_wtime omp_in_final omp_in_parallel omp_init_allocator omp_init_lock omp_init_lock_with_hint
omp_init_nest_lock omp_init_nest_lock_with_hint omp_is_initial_device omp_pause_resource
omp_pause_resource_all omp_realloc omp_set_affinity_format omp_set_default_allocator omp_set_default_device
omp_set_dynamic omp_set_lock omp_set_max_active_levels omp_set_nest_lock omp_set_nested omp_set_num_teams
omp_set_num_threads omp_set_schedule omp_set_teams_thread_limit omp_target_alloc omp_target_associate_ptr
omp_target_disassociate_ptr omp_target_free omp_target_is_present omp_target_memcpy omp_target_memcpy_rect
omp_test_lock omp_test_nest_lock omp_unset_lock omp_unset_nest_lock on_exit pathconf pause pipe
posix_memalign pow powf powl pread profil pselect putenv pwrite qecvt qecvt_r qfcvt qfcvt_r qgcvt qsort
quick_exit rand rand_r random random_r read readlink readlinkat realloc reallocarray realpath remainder
remainderf remainderl remquo remquof remquol revoke rindex rint rintf rintl rmdir round roundf roundl rpmatch
sbrk scalb scalbf scalbl scalbln scalblnf scalblnl scalbn scalbnf scalbnl seed48 seed48_r select
setdomainname setegid setenv seteuid setgid sethostid sethostname setlogin setpgid setpgrp setregid setreuid
setsid setstate setstate_r setuid setusershell significand significandf significandl sin sinf sinh sinhf
sinhl sinl sleep sqrt sqrtf sqrtl srand srand48 srand48_r srandom srandom_r stpcpy stpncpy strcasecmp
strcasecmp_l strcat strchr strcmp strcoll strcoll_l strcpy strcspn strdup strerror strerror_l strerror_r
strftime strftime_l strlen strncasecmp strncasecmp_l strncat strncmp strncpy strndup strnlen strpbrk strrchr
strsep strsignal strspn strstr strtod strtof strtok strtok_r strtol strtold strtoll strtoq strtoul strtoull
strtouq strxfrm strxfrm_l symlink symlinkat sync syscall sysconf system tan tanf tanh tanhf tanhl tanl
tcgetpgrp tcsetpgrp tgamma tgammaf tgammal time timegm timelocal timer_create timer_delete timer_getoverrun
timer_gettime timer_settime timespec_get trunc truncate truncf truncl ttyname ttyname_r ttyslot tzset ualarm
unlink unlinkat unsetenv usleep valloc vfork vhangup wcstombs wctomb write y0 y0f y0l y1 y1f y1l yn ynf ynl
""".split())
