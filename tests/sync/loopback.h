// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// Ports on 127.0.0.1 for the nats-server processes the sync tests and
// benchmarks/sync_bench start. No test framework: the benchmark uses it too.

#ifndef CKM_TESTS_SYNC_LOOPBACK_H_
#define CKM_TESTS_SYNC_LOOPBACK_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace ckm_test {

inline sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

// A port of 127.0.0.1 that was free a moment ago; -1 if none was given.
inline int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  const bool bound =
      fd >= 0 &&
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) close(fd);
  return bound ? ntohs(addr.sin_port) : -1;
}

// Whether something accepts connections on 127.0.0.1:`port`.
inline bool AcceptsOnLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const sockaddr_in addr = Loopback(port);
  const bool ok =
      connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace ckm_test

#endif  // CKM_TESTS_SYNC_LOOPBACK_H_
