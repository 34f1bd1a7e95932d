// The crash test's final check: the clients' logs against what the server holds once its queue
// drained. Reads every branch's ledger, every transfer, and every product's stock, then checks:
// - each acknowledged write's ledger entries are there exactly once (else lost / duplicated);
// - each abandoned write (unknown outcome) took effect entirely or not at all (else half applied);
// - every ledger entry belongs to a write some client sent (else unexpected);
// - each transfer's status is within what its client sent and had acknowledged, and its ledger
//   entries and the destination's em_transito match that status;
// - each product-branch's em_estoque equals the counting rule over its ledger and the model's
//   value from the writes that took effect; em_transito equals the transfers in transit; each
//   product's chain total (em_estoque + em_transito) equals its counts minus its sales.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "e2e/support/http_client.h"
#include "e2e/support/inventory_support.h"
#include "fault/support/crash_workload.h"

namespace estoque::fault::crash {

struct CrashReport {
  uint64_t acknowledged_writes = 0;   // writes (requests) whose 2xx a client saw
  uint64_t abandoned_writes = 0;      // requests given up with an unknown outcome
  uint64_t abandoned_applied = 0;     // ... which turned out to have taken effect (entirely)
  uint64_t lost = 0;                  // acknowledged writes missing (wholly or partly)
  uint64_t duplicated = 0;            // writes with a ledger entry more than once
  uint64_t half_applied = 0;          // abandoned writes with only part of their entries
  uint64_t unexpected_entries = 0;    // ledger entries no client's write accounts for
  uint64_t wrong_quantities = 0;      // ledger entries whose quantity is not the one sent
  uint64_t transfer_inconsistencies = 0;
  uint64_t stock_mismatches = 0;      // em_estoque / em_transito vs ledger rule or model
  uint64_t conservation_failures = 0;
  uint64_t ledger_entries = 0;
  uint64_t product_branches = 0;
  std::vector<std::string> problems;  // the first few, for the failure message

  void Problem(const std::string& text) {
    if (problems.size() < 25) problems.push_back(text);
  }
};

namespace detail {

using e2e::inventory::EventTime;
using e2e::inventory::Int;
using e2e::inventory::Str;

struct Expected {
  std::string key;
  int64_t quantity = 0;  // signed, as the ledger shows it (counts: the count)
};

// The identity of a ledger entry. Counts (whose ids are derived from their quantity and name) by
// product-branch and event time, which the workload makes unique; the rest by origin and id.
inline std::string LedgerKey(const json::object& entry) {
  const std::string kind = Str(entry.at("tipo"));
  if (kind == "contagem") {
    return "C|" + Str(entry.at("filial")) + "|" + Str(entry.at("codigo_barra")) + "|" +
           std::to_string(EventTime(entry));
  }
  return "M|" + kind + "|" + Str(entry.at("filial")) + "|" + Str(entry.at("origem")) + "|" + Str(entry.at("id")) +
         "|" + Str(entry.at("codigo_barra"));
}

inline std::string CountKey(const CountItem& item) {
  return "C|" + item.branch + "|" + item.barcode + "|" + std::to_string(item.at_s * 1'000'000);
}

inline std::string MovementKey(const std::string& kind, const std::string& branch, const std::string& origin,
                               const std::string& id, const std::string& barcode) {
  return "M|" + kind + "|" + branch + "|" + origin + "|" + id + "|" + barcode;
}

inline std::string PbKey(const std::string& barcode, const std::string& branch) { return barcode + "/" + branch; }

// Stock of one product-branch as the writes that took effect imply it.
struct ModelStock {
  std::optional<std::pair<int64_t, int64_t>> newest_count;  // (event time, quantity)
  int64_t deltas = 0;      // every delta of the workload is after every count it has
  int64_t in_transit = 0;
  int64_t on_hand() const { return (newest_count ? newest_count->second : 0) + deltas; }
};

class Checker {
 public:
  Checker(HttpClient& client, const Workload& workload, CrashReport& report)
      : client_(client), workload_(workload), report_(report) {}

  void ReadLedger() {
    for (const std::string& branch : workload_.branches) {
      for (json::object& entry : e2e::inventory::Ledger(client_, "filial=" + branch)) {
        ++report_.ledger_entries;
        const std::string key = LedgerKey(entry);
        ledger_[key].push_back(Int(entry.at("quantidade")));
        by_pb_[PbKey(Str(entry.at("codigo_barra")), branch)].push_back(std::move(entry));
      }
    }
  }

  // Checks one write's entries. `acknowledged`: they must all be there; otherwise all or none.
  // Returns true if it took effect (every entry there).
  bool CheckWrite(const std::vector<Expected>& entries, bool acknowledged, const std::string& what) {
    std::size_t present = 0;
    bool repeated = false;
    for (const Expected& expected : entries) {
      claimed_.insert(expected.key);
      auto found = ledger_.find(expected.key);
      if (found == ledger_.end()) continue;
      ++present;
      if (found->second.size() > 1) repeated = true;
      if (found->second.front() != expected.quantity) {
        ++report_.wrong_quantities;
        report_.Problem(what + ": entry " + expected.key + " has quantity " + std::to_string(found->second.front()) +
                        ", sent " + std::to_string(expected.quantity));
      }
    }
    if (repeated) {
      ++report_.duplicated;
      report_.Problem(what + ": an entry is in the ledger more than once");
    }
    if (acknowledged && present < entries.size()) {
      ++report_.lost;
      report_.Problem(what + ": acknowledged, " + std::to_string(entries.size() - present) + " of " +
                      std::to_string(entries.size()) + " ledger entries missing");
    }
    if (!acknowledged && present != 0 && present != entries.size()) {
      ++report_.half_applied;
      report_.Problem(what + ": unknown outcome, only " + std::to_string(present) + " of " +
                      std::to_string(entries.size()) + " ledger entries present");
    }
    return present == entries.size();
  }

  void CheckPositions(const PositionsOp& op, std::size_t index) {
    std::vector<Expected> entries;
    for (const CountItem& item : op.items) entries.push_back({CountKey(item), item.quantity});
    const bool acknowledged = op.outcome == Outcome::kAcknowledged;
    const bool applied = CheckWrite(entries, acknowledged, "positions request #" + std::to_string(index));
    Tally(acknowledged, applied);
    if (!applied) return;
    for (const CountItem& item : op.items) {
      ModelStock& stock = model_[PbKey(item.barcode, item.branch)];
      const std::pair<int64_t, int64_t> count{item.at_s, item.quantity};
      if (!stock.newest_count || count > *stock.newest_count) stock.newest_count = count;
    }
  }

  void CheckSale(const SaleOp& op) {
    std::vector<Expected> entries;
    for (std::size_t i = 0; i < op.lines.size(); ++i) {
      entries.push_back({MovementKey("venda", op.branch, "venda", op.id + "#" + std::to_string(i + 1),
                                     op.lines[i].barcode),
                         -op.lines[i].quantity});
    }
    const bool acknowledged = op.outcome == Outcome::kAcknowledged;
    const bool applied = CheckWrite(entries, acknowledged, "sale " + op.id);
    Tally(acknowledged, applied);
    if (!applied) return;
    for (const Line& line : op.lines) {
      model_[PbKey(line.barcode, op.branch)].deltas -= line.quantity;
      sold_[line.barcode] += line.quantity;
    }
  }

  void CheckTransfer(const TransferOp& op) {
    if (op.sent_step == 0) return;
    const int state = TransferState(op);
    if (state < 0) return;
    // Requests of this transfer: acknowledged ones, and the last one sent if it was abandoned.
    report_.acknowledged_writes += static_cast<uint64_t>(op.acknowledged_step);
    if (op.sent_step > op.acknowledged_step) {
      ++report_.abandoned_writes;
      if (state >= op.sent_step) ++report_.abandoned_applied;
    }
    if (state < op.acknowledged_step) {
      ++report_.lost;
      report_.Problem("transfer " + op.id + ": step " + std::to_string(op.acknowledged_step) +
                      " acknowledged, status is step " + std::to_string(state));
    }
    if (state > op.sent_step) {
      ++report_.transfer_inconsistencies;
      report_.Problem("transfer " + op.id + ": status is step " + std::to_string(state) + ", never sent beyond " +
                      std::to_string(op.sent_step));
    }
    std::vector<Expected> shipped;
    std::vector<Expected> received;
    for (std::size_t i = 0; i < op.lines.size(); ++i) {
      const std::string line = op.id + "#" + std::to_string(i + 1);
      shipped.push_back({MovementKey("transferencia_saida", op.source, "transferencia", line + ":envio",
                                     op.lines[i].barcode),
                         -op.lines[i].quantity});
      received.push_back({MovementKey("transferencia_entrada", op.destination, "transferencia",
                                      line + ":recebimento", op.lines[i].barcode),
                          op.lines[i].quantity});
    }
    // Acknowledged steps must be there; the status and a step's entries are written in one
    // atomic step, so they must agree.
    const bool ship_entries = CheckWrite(shipped, op.acknowledged_step >= 2, "transfer " + op.id + " envio");
    const bool receive_entries =
        CheckWrite(received, op.acknowledged_step >= 3, "transfer " + op.id + " recebimento");
    if (ship_entries != (state >= 2) || receive_entries != (state >= 3)) {
      ++report_.transfer_inconsistencies;
      report_.Problem("transfer " + op.id + ": ledger entries do not match status step " + std::to_string(state));
    }
    for (const Line& line : op.lines) {
      if (state >= 2) model_[PbKey(line.barcode, op.source)].deltas -= line.quantity;
      if (state == 2) model_[PbKey(line.barcode, op.destination)].in_transit += line.quantity;
      if (state == 3) model_[PbKey(line.barcode, op.destination)].deltas += line.quantity;
    }
  }

  void CheckUnexpectedEntries() {
    for (const auto& [key, quantities] : ledger_) {
      if (claimed_.count(key) != 0) continue;
      report_.unexpected_entries += quantities.size();
      report_.Problem("ledger entry " + key + " belongs to no write a client sent");
    }
  }

  // Every product's stock at every branch: the server's numbers against the ledger rule and the
  // model; the chain total against counts minus sales.
  void CheckStock() {
    std::vector<const Product*> products;
    for (const Product& p : workload_.movement_products) products.push_back(&p);
    for (const Product& p : workload_.count_products) products.push_back(&p);
    std::set<std::string> seen;
    for (const Product* product : products) {
      HttpResult r = client_.Get("/v1/posicoes/" + product->barcode);
      if (r.status == 404) continue;
      if (r.status != 200) {
        ++report_.stock_mismatches;
        report_.Problem("GET /v1/posicoes/" + product->barcode + " -> " + std::to_string(r.status) + " " + r.body);
        continue;
      }
      const json::value body = r.json();
      int64_t chain_model = 0;
      for (const json::value& item : body.at("itens").as_array()) {
        const std::string branch = Str(item.at("filial"));
        const std::string pb = PbKey(product->barcode, branch);
        seen.insert(pb);
        ++report_.product_branches;
        const int64_t on_hand = Int(item.at("em_estoque"));
        const int64_t in_transit = Int(item.at("em_transito"));
        const int64_t by_rule = e2e::inventory::OnHandByRule(by_pb_[pb]);
        const ModelStock& model = model_[pb];
        chain_model += model.on_hand() + model.in_transit;
        if (on_hand != by_rule || on_hand != model.on_hand() || in_transit != model.in_transit) {
          ++report_.stock_mismatches;
          report_.Problem(pb + ": em_estoque " + std::to_string(on_hand) + ", ledger rule " + std::to_string(by_rule) +
                          ", model " + std::to_string(model.on_hand()) + "; em_transito " +
                          std::to_string(in_transit) + ", model " + std::to_string(model.in_transit));
        }
      }
      const json::value& totals = body.at("totais");
      const int64_t chain = Int(totals.at("em_estoque")) + Int(totals.at("em_transito"));
      int64_t counted = 0;
      for (const std::string& branch : workload_.branches) {
        auto found = model_.find(PbKey(product->barcode, branch));
        if (found != model_.end() && found->second.newest_count) counted += found->second.newest_count->second;
      }
      const auto sold = sold_.find(product->barcode);
      const int64_t expected_chain = counted - (sold == sold_.end() ? 0 : sold->second);
      if (chain != expected_chain || chain != chain_model) {
        ++report_.conservation_failures;
        report_.Problem(product->barcode + ": em_estoque + em_transito over the chain is " + std::to_string(chain) +
                        ", counts minus sales " + std::to_string(expected_chain));
      }
    }
    // A product-branch the writes touched but the server does not show is lost too.
    for (const auto& [pb, model] : model_) {
      if (seen.count(pb) == 0 && (model.newest_count || model.deltas != 0 || model.in_transit != 0)) {
        ++report_.stock_mismatches;
        report_.Problem(pb + ": written to, but the server has no stock for it");
      }
    }
  }

 private:
  void Tally(bool acknowledged, bool applied) {
    if (acknowledged) {
      ++report_.acknowledged_writes;
    } else {
      ++report_.abandoned_writes;
      if (applied) ++report_.abandoned_applied;
    }
  }

  // 0 absent, 1 criada, 2 em_transito, 3 recebida; -1 (and a problem) otherwise.
  int TransferState(const TransferOp& op) {
    HttpResult r = client_.Get("/v1/transferencias/" + op.id);
    if (r.status == 404) return 0;
    const json::value body = r.json();
    if (r.status == 200 && body.is_object()) {
      const std::string status = Str(body.at("status"));
      if (status == "criada") return 1;
      if (status == "em_transito") return 2;
      if (status == "recebida") return 3;
    }
    ++report_.transfer_inconsistencies;
    report_.Problem("GET /v1/transferencias/" + op.id + " -> " + std::to_string(r.status) + " " + r.body);
    return -1;
  }

  HttpClient& client_;
  const Workload& workload_;
  CrashReport& report_;
  std::map<std::string, std::vector<int64_t>> ledger_;  // key -> quantity of each occurrence
  std::map<std::string, std::vector<json::object>> by_pb_;
  std::set<std::string> claimed_;
  std::map<std::string, ModelStock> model_;
  std::map<std::string, int64_t> sold_;  // barcode -> units sold (sales that took effect)
};

}  // namespace detail

// Runs every check against the server `client` talks to (its queue drained).
inline CrashReport VerifyCrashRun(HttpClient& client, const Workload& workload, const std::vector<ClientLog>& logs) {
  CrashReport report;
  detail::Checker checker(client, workload, report);
  checker.ReadLedger();
  std::size_t index = 0;
  for (const ClientLog& log : logs) {
    for (const PositionsOp& op : log.positions) checker.CheckPositions(op, index++);
    for (const SaleOp& op : log.sales) checker.CheckSale(op);
    for (const TransferOp& op : log.transfers) checker.CheckTransfer(op);
  }
  checker.CheckUnexpectedEntries();
  checker.CheckStock();
  return report;
}

}  // namespace estoque::fault::crash
