// Copyright 2026 The ckm Authors. Licensed under the Apache License 2.0.
//
// `ckm sync`, `ckm sync status`, `ckm sync fetch` and `ckm node`: the sync
// agent, its operations view, a profile from head office and a partition
// node (docs/sync.md). Built where libnats
// is (CKM_HAVE_SYNC).

#ifndef CKM_TOOLS_SYNC_COMMANDS_H_
#define CKM_TOOLS_SYNC_COMMANDS_H_

#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "ckm/sync.h"

namespace ckm::tools {

class SyncCommands {
 public:
  // Adds the subcommands to `app`, which must outlive this.
  explicit SyncCommands(CLI::App& app);
  // After parsing: the exit status of the sync command given, or nullopt
  // if none was.
  std::optional<int> Run();

 private:
  int Sync();
  int Status();
  int Node();
  int Fetch();

  CLI::App* sync_ = nullptr;
  CLI::App* status_ = nullptr;
  CLI::App* node_ = nullptr;
  CLI::App* fetch_ = nullptr;
  SyncOptions options_;
  NodeOptions node_options_;
  std::string db_;
  std::string partitions_;
  bool once_ = false;
  std::string policy_file_;  // the node's access policy (--policy)
  bool audit_ = false;       // the node's access audit (--audit)
  std::string customer_;     // fetch's
  ReadOptions read_;         // fetch's access context
};

}  // namespace ckm::tools

#endif  // CKM_TOOLS_SYNC_COMMANDS_H_
