// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Child processes for the sync tests: a real nats-server with JetStream on
// a free port of 127.0.0.1 and its own store directory, and `ckm` commands
// that a test can kill -9. CKM_NATS_SERVER is the server's path (empty when
// the build found none: the tests then skip, saying so).

#ifndef CKM_TESTS_SYNC_NATS_SERVER_H_
#define CKM_TESTS_SYNC_NATS_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"
#include "sync/loopback.h"

extern char** environ;

namespace ckm_test {

inline bool HaveNatsServer() {
  return std::string(CKM_NATS_SERVER).size() > 0 &&
         access(CKM_NATS_SERVER, X_OK) == 0;
}

// Skips the rest of the test when nats-server is not installed.
#define SKIP_WITHOUT_NATS_SERVER()                                   \
  do {                                                               \
    if (!::ckm_test::HaveNatsServer()) {                             \
      WARN(                                                          \
          "skipped: nats-server is not installed (scripts/setup.sh " \
          "installs it)");                                           \
      return;                                                        \
    }                                                                \
  } while (0)

// A process started with posix_spawn, its output appended to `log`.
class Child {
 public:
  Child() = default;
  Child(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int err =
        posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(err == 0);
  }
  Child(Child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  Child& operator=(Child&& o) noexcept {
    Kill(SIGKILL);
    pid_ = o.pid_;
    o.pid_ = -1;
    return *this;
  }
  ~Child() { Kill(SIGKILL); }

  // Sends `signal` and waits for the exit; its exit code, or -1 after a
  // signal (or when there is no process).
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    return Wait();
  }
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

inline int FreePort() {
  const int port = FreeLoopbackPort();
  REQUIRE(port > 0);
  return port;
}

inline bool Accepts(int port) { return AcceptsOnLoopback(port); }

// nats-server -js on 127.0.0.1:<free port>, storing under `dir`. Started
// again on the same port and directory, it keeps its streams.
class NatsServer {
 public:
  // `extra` arguments join the command line (a cluster's, say).
  explicit NatsServer(std::string dir, std::vector<std::string> extra = {},
                      int port = FreePort())
      : dir_(std::move(dir)), extra_(std::move(extra)), port_(port) {
    Start();
  }
  void Start() {
    std::vector<std::string> args = {
        CKM_NATS_SERVER,       "-js", "-a",        "127.0.0.1", "-p",
        std::to_string(port_), "-sd", dir_ + "/js"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    child_ = Child(args, dir_ + "/nats-server.log");
    for (int i = 0; i < 1000 && !Accepts(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(Accepts(port_));
  }
  // A clean shutdown (SIGTERM): the server stores what it acknowledged.
  void Stop() { child_.Kill(SIGTERM); }
  // A crash.
  void Kill() { child_.Kill(SIGKILL); }
  std::string url() const {
    return "nats://127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::string dir_;
  std::vector<std::string> extra_;
  int port_;
  Child child_;
};

// Polls `done` every 10 ms for up to `seconds`; whether it came true. Not a
// time assertion: the limit only ends a test that would otherwise hang.
template <typename F>
bool Eventually(F done, int seconds = 30) {
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace ckm_test

#endif  // CKM_TESTS_SYNC_NATS_SERVER_H_
