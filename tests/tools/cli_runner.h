// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Runs the `ckm` tool (CKM_CLI, set by the test's build) as a user would,
// for the tests that drive it.

#ifndef CKM_TESTS_TOOLS_CLI_RUNNER_H_
#define CKM_TESTS_TOOLS_CLI_RUNNER_H_

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace ckm_test {

struct CliResult {
  int exit_code = -1;  // -1: killed by a signal (an abort)
  std::string out;     // stdout and stderr together
};

struct SplitResult {
  int exit_code = -1;  // -1: killed by a signal (an abort)
  std::string out;     // stdout
  std::string err;     // stderr
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `ckm ARGS` through the shell with `redirect` appended; the exit code.
inline int RunCkm(const std::string& args, const std::string& redirect) {
  const int status =
      std::system((std::string(CKM_CLI) + " " + args + redirect).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `ckm ARGS`; its output goes to a file in `dir`.
inline CliResult Ckm(const TempDir& dir, const std::string& args) {
  const std::string log = dir.sub("out.txt");
  CliResult r;
  r.exit_code = RunCkm(args, " > " + log + " 2>&1");
  r.out = Slurp(log);
  return r;
}

// The same with stdout and stderr kept apart.
inline SplitResult CkmSplit(const TempDir& dir, const std::string& args) {
  const std::string out = dir.sub("stdout.txt"), err = dir.sub("stderr.txt");
  SplitResult r;
  r.exit_code = RunCkm(args, " > " + out + " 2> " + err);
  r.out = Slurp(out);
  r.err = Slurp(err);
  return r;
}

}  // namespace ckm_test

#endif  // CKM_TESTS_TOOLS_CLI_RUNNER_H_
