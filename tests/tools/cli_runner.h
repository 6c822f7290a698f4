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

// Runs `ckm ARGS` through the shell; its output goes to a file in `dir`.
inline CliResult Ckm(const TempDir& dir, const std::string& args) {
  const std::string log = dir.sub("out.txt");
  const std::string command =
      std::string(CKM_CLI) + " " + args + " > " + log + " 2>&1";
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  r.out = text.str();
  return r;
}

}  // namespace ckm_test

#endif  // CKM_TESTS_TOOLS_CLI_RUNNER_H_
