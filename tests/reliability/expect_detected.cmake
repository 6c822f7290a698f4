# Runs ckm_crash_test (or ckm_import_crash_test) with damage injected on purpose and passes only if the
# driver notices: a non-zero exit code and a final JSON line that reports the
# damage. Proves that the crash test's checks can fail.
#   cmake -DCRASH_TEST=path/to/ckm_crash_test -DMODE=double|loss
#         -P expect_detected.cmake
if(MODE STREQUAL "double")
  set(expect "\"double_counted\":[1-9][0-9]*,\"mismatched\":[1-9][0-9]*,")
elseif(MODE STREQUAL "loss")
  set(expect "\"lost\":[1-9][0-9]*,")
else()
  message(FATAL_ERROR "MODE must be double or loss")
endif()
# ARGS: the driver's arguments besides --inject-MODE (ckm_import_crash_test
# passes its own).
if(NOT DEFINED ARGS)
  set(ARGS "--cycles 2 --seed 3 --durability sync")
endif()
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(
  COMMAND ${CRASH_TEST} ${args} --inject-${MODE}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "ckm_crash_test --inject-${MODE} exited 0: the damage went unnoticed")
endif()
if(NOT out MATCHES "${expect}")
  message(FATAL_ERROR "ckm_crash_test --inject-${MODE} did not report the damage (want ${expect})")
endif()
