#include "app/cli.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "app/serve.h"
#include "app/serve_config.h"
#include "cli/backup_command.h"
#include "cli/import_products.h"
#include "cli/cost_command.h"
#include "cli/keys_command.h"
#include "common/version.h"
#include "load/load_generator.h"

namespace estoque::app {
namespace {

// The environment variable of a `serve` option: ESTOQUE_<NAME>, upper case, '-' -> '_'. (Its long
// name is also its config-file key.)
std::string EnvName(const std::string& option) {
  std::string env = "ESTOQUE_";
  for (char c : option) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

template <typename T>
void AddServeOption(CLI::App* serve, std::vector<std::string>* option_names, const std::string& name,
                    T* target, const std::string& help) {
  serve->add_option("--" + name, *target, help + " [env " + EnvName(name) + "]")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  option_names->push_back(name);
}

// Finds the value of `--config FILE` / `--config=FILE` among the user's arguments, else
// ESTOQUE_CONFIG; empty if neither.
std::string ConfigPath(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
  }
  const char* env = std::getenv("ESTOQUE_CONFIG");
  return env != nullptr ? env : "";
}

// Precedence command line > environment > config file > default, made with one mechanism: the
// config file's keys and then the environment's variables become `--option=value` arguments placed
// before the user's own, and every option keeps the last value it is given (TakeLast).
// Throws CLI::FileError / CLI::ConfigError for an unreadable or malformed config file.
std::vector<std::string> WithConfigAndEnvironment(int argc, char** argv,
                                                  const std::vector<std::string>& option_names) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  if (args.empty() || args[0] != "serve") return args;
  std::vector<std::string> injected;
  if (const std::string path = ConfigPath(args); !path.empty()) {
    if (CLI::detail::check_path(path.c_str()) != CLI::detail::path_type::file) {
      throw CLI::FileError::Missing(path);
    }
    for (const CLI::ConfigItem& item : CLI::ConfigTOML().from_file(path)) {
      if (item.name == "++" || item.name == "--") continue;  // section markers
      std::string value;
      for (const auto& input : item.inputs) value += (value.empty() ? "" : ",") + input;
      injected.push_back("--" + item.fullname() + "=" + value);
    }
  }
  for (const std::string& option : option_names) {
    if (const char* value = std::getenv(EnvName(option).c_str()); value != nullptr && *value != '\0') {
      injected.push_back("--" + option + "=" + value);
    }
  }
  args.insert(args.begin() + 1, injected.begin(), injected.end());
  return args;
}

// `estoque keys create|list|revoke|rotate` (cli/keys_command.h): sets *action to the one parsed.
void AddKeysCommand(CLI::App* app, cli::KeysOptions* options, cli::KeysAction* action) {
  CLI::App* keys = app->add_subcommand(
      "keys", "Manage API keys: of a running server (--server URL --key ADMIN_KEY) or of a stopped "
              "server's data directory (--data DIR)");
  keys->require_subcommand(1);
  auto add_mode_options = [options](CLI::App* command) {
    CLI::Option* server = command->add_option(
        "--server", options->server, "Base URL of a running server (uses its admin endpoints)");
    command->add_option("--key", options->api_key, "Admin API key for --server [env ESTOQUE_API_KEY]");
    command->add_option_function<std::string>(
               "--data",
               [options](const std::string& dir) {
                 options->data_dir = dir;
                 options->data_dir_given = true;
               },
               "Data directory of a STOPPED server (without --server)")
        ->default_str(options->data_dir)
        ->excludes(server);
  };
  auto on_parse = [action](cli::KeysAction parsed) { return [action, parsed] { *action = parsed; }; };
  CLI::App* create = keys->add_subcommand("create", "Create a key; prints its token once");
  create->add_option("--role", options->role, "admin, pdv, leitura or integracao")
      ->required()
      ->check(CLI::IsMember({"admin", "pdv", "leitura", "integracao"}));
  create->add_option("--filial", options->branches, "A branch of the key (repeat or comma-separate; pdv: required)")
      ->delimiter(',');
  create->add_option("--nome", options->name, "A label for people (1..200 bytes)")->required();
  CLI::Option* rps = create->add_option("--rps", options->per_second, "The key's own rate limit (requests/s)");
  CLI::Option* burst = create->add_option("--rajada", options->burst, "The key's own burst (requests at once)");
  rps->needs(burst);
  burst->needs(rps);
  create->parse_complete_callback(on_parse(cli::KeysAction::kCreate));
  CLI::App* list = keys->add_subcommand("list", "List every key (never their tokens)");
  list->parse_complete_callback(on_parse(cli::KeysAction::kList));
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke a key at once");
  revoke->add_option("ID", options->id, "The key's id (k_...)")->required();
  revoke->parse_complete_callback(on_parse(cli::KeysAction::kRevoke));
  CLI::App* rotate = keys->add_subcommand("rotate", "Give a key a new token; the old one stops at once");
  rotate->add_option("ID", options->id, "The key's id (k_...)")->required();
  rotate->parse_complete_callback(on_parse(cli::KeysAction::kRotate));
  for (CLI::App* command : {create, list, revoke, rotate}) add_mode_options(command);
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"estoque: real-time inventory for supermarket chains"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "estoque " + std::string(kEstoqueVersion));

  ServeConfig serve_config;
  std::vector<std::string> option_names;  // of `serve`, for the config file and environment
  CLI::App* serve = app.add_subcommand("serve", "Run the server on its embedded store and its queue (embedded or SQS)");
  std::string config_path;  // read by WithConfigAndEnvironment before parsing
  serve->add_option("--config", config_path,
                    "Config file (TOML/INI; keys are the long option names) [env ESTOQUE_CONFIG]");
  AddServeOption(serve, &option_names, "listen", &serve_config.listen, "HOST:PORT to listen on (port 0: any free port)");
  AddServeOption(serve, &option_names, "data", &serve_config.data_dir, "Data directory");
  AddServeOption(serve, &option_names, "timezone", &serve_config.time_zone, "IANA zone of zone-less times");
  AddServeOption(serve, &option_names, "require-check-digit", &serve_config.require_gtin_check_digit,
                 "Reject barcodes with an invalid GTIN check digit (true/false)");
  AddServeOption(serve, &option_names, "durability", &serve_config.durability,
                 "sync: fsync before acknowledging; os: leave it to the OS (faster, loses on power failure)");
  AddServeOption(serve, &option_names, "io-threads", &serve_config.io_threads, "HTTP threads (0: one per core)");
  AddServeOption(serve, &option_names, "queue-max-messages", &serve_config.queue_max_messages,
                 "Bound on waiting messages; beyond it writes get 503");
  AddServeOption(serve, &option_names, "queue-max-bytes", &serve_config.queue_max_bytes,
                 "Bound on waiting bytes; beyond it writes get 503");
  AddServeOption(serve, &option_names, "block-cache-mb", &serve_config.block_cache_mb, "RocksDB read cache (MiB)");
  AddServeOption(serve, &option_names, "row-cache-mb", &serve_config.row_cache_mb,
                 "RocksDB row cache for point reads (MiB; 0: none)");
  AddServeOption(serve, &option_names, "min-free-disk-mb", &serve_config.min_free_disk_mb,
                 "Free disk space (MiB) below which writes get 507 until 1.25x is free again (0: not watched)");
  AddServeOption(serve, &option_names, "apply-batch-messages", &serve_config.apply_batch_messages,
                 "Messages the worker applies in one atomic write");
  AddServeOption(serve, &option_names, "apply-linger-ms", &serve_config.apply_linger_ms,
                 "Wait this long for more messages before applying (less CPU, later visibility)");
  AddServeOption(serve, &option_names, "apply-workers", &serve_config.apply_workers,
                 "Apply workers (0: 1 with --store rocksdb, 4 with --store dynamodb)");
  AddServeOption(serve, &option_names, "dlq-max-attempts", &serve_config.dlq_max_attempts,
                 "Failed attempts at a poison message before it moves to the dead-letter queue");
  AddServeOption(serve, &option_names, "log-level", &serve_config.log_level, "trace|debug|info|warn|error|off");
  AddServeOption(serve, &option_names, "shutdown-drain-ms", &serve_config.shutdown_drain_ms,
                 "On SIGTERM, how long in-flight work may take");
  AddServeOption(serve, &option_names, "auth", &serve_config.auth,
                 "on: every request but GET /health needs an API key; off: none (loopback only)");
  AddServeOption(serve, &option_names, "rate-limit-rps", &serve_config.rate_limit_rps,
                 "Requests per second per key (0: no throttling)");
  AddServeOption(serve, &option_names, "rate-limit-burst", &serve_config.rate_limit_burst,
                 "Requests a key may make at once");
  AddServeOption(serve, &option_names, "rate-limit-roles", &serve_config.rate_limit_roles,
                 "Per-role overrides, ROLE=RPS:BURST,... (e.g. pdv=50:100)");
  AddServeOption(serve, &option_names, "tls-cert", &serve_config.tls_cert,
                 "Serve HTTPS (TLS 1.2+) with this PEM certificate chain; needs --tls-key");
  AddServeOption(serve, &option_names, "tls-key", &serve_config.tls_key,
                 "PEM private key of --tls-cert (not encrypted)");
  AddServeOption(serve, &option_names, "queue", &serve_config.queue,
                 "embedded (in the data directory) | sqs (an SQS queue; shared by several nodes only "
                 "with --store dynamodb)");
  AddServeOption(serve, &option_names, "sqs-queue-url", &serve_config.sqs_queue_url,
                 "With --queue sqs: the queue's URL (region, endpoint and credentials from AWS_*)");
  AddServeOption(serve, &option_names, "sqs-dlq-url", &serve_config.sqs_dlq_url,
                 "With --queue sqs: the dead-letter queue's URL (GET /v1/fila/dlq ...)");
  AddServeOption(serve, &option_names, "sqs-visibility-timeout-s", &serve_config.sqs_visibility_timeout_s,
                 "With --queue sqs: seconds a received message stays hidden (extended while applied)");
  AddServeOption(serve, &option_names, "store", &serve_config.store,
                 "rocksdb: everything in --data; dynamodb: inventory, catalog, keys and audit in "
                 "DynamoDB tables (docs/DYNAMODB.md)");
  AddServeOption(serve, &option_names, "dynamodb-endpoint", &serve_config.dynamodb_endpoint,
                 "DynamoDB URL (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, else the region's)");
  AddServeOption(serve, &option_names, "aws-region", &serve_config.aws_region,
                 "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)");
  AddServeOption(serve, &option_names, "dynamodb-table-prefix", &serve_config.dynamodb_table_prefix,
                 "Prefix of every DynamoDB table name");
  AddServeOption(serve, &option_names, "dynamodb-billing-mode", &serve_config.dynamodb_billing_mode,
                 "Billing mode of the tables estoque creates: on-demand or provisioned");
  AddServeOption(serve, &option_names, "dynamodb-rcu", &serve_config.dynamodb_rcu,
                 "Provisioned read capacity units per table and per index");
  AddServeOption(serve, &option_names, "dynamodb-wcu", &serve_config.dynamodb_wcu,
                 "Provisioned write capacity units per table and per index");

  load::LoadOptions load_options;
  CLI::App* load = app.add_subcommand("load", "Load generator: post stock positions to a running server");
  load->add_option("--url", load_options.url, "Server base URL")->capture_default_str();
  load->add_option_function<std::string>(
         "--kind", [&load_options](const std::string& name) { load_options.kind = *load::ParseLoadKind(name); },
         "What each request posts: posicoes (a position array) or vendas (one sale)")
      ->check([](const std::string& name) { return load::ParseLoadKind(name) ? "" : "must be posicoes or vendas"; },
              "posicoes|vendas")
      ->default_str("posicoes");
  load->add_option("--catalog", load_options.catalog_path,
                   "JSON catalog [{codigo_barra, nome_produto}] (default: a generated one)");
  load->add_option("--products", load_options.generated_products, "Products in the generated catalog")->capture_default_str();
  load->add_option("--branches", load_options.branches, "Branches (1001, 1002, ...)")->capture_default_str();
  load->add_option("--batch", load_options.batch_items, "Items per request")->capture_default_str();
  load->add_option("--connections", load_options.connections, "Concurrent connections")->capture_default_str();
  load->add_option("--duration", load_options.duration_s, "Seconds to run")->capture_default_str();
  load->add_option("--messages", load_options.messages_max, "Stop after this many messages (0: no limit)")->capture_default_str();
  load->add_option("--rate", load_options.rate_items_per_s, "Offered items/s (0: as fast as possible)")->capture_default_str();
  load->add_option("--freshness-every", load_options.freshness_sample_every,
                   "Probe freshness of 1 message in N (0: never)")->capture_default_str();
  load->add_flag("--seed-time-format", load_options.seed_time_format,
                 "Send the seed's \"YYYY-MM-DD HH:MM:SS\" times instead of RFC 3339");
  load->add_option("--threads", load_options.threads, "Client threads")->capture_default_str();
  load->add_flag("--sequential-keys", load_options.sequential_keys,
                 "Write keys (product, branch) in order instead of at random (preloading)");
  load->add_option("--key", load_options.api_key, "API key (x-api-key) [env ESTOQUE_API_KEY]");
  load->add_option("--progress", load_options.progress_interval_s, "Progress line period in s (0: none)")->capture_default_str();

  cli::ImportProductsOptions import_options;
  CLI::App* import = app.add_subcommand("import", "Load data into a running server");
  import->require_subcommand(1);
  CLI::App* import_products = import->add_subcommand(
      "produtos", "Import a product file (JSON array or CSV with a header row) into the catalog");
  import_products->add_option("FILE", import_options.file, "The file (.json or .csv)")->required();
  import_products->add_option("--server", import_options.server, "Server base URL")->capture_default_str();
  import_products->add_option("--key", import_options.api_key,
                              "API key (x-api-key; an admin key) [env ESTOQUE_API_KEY]");
  import_products->add_option("--batch", import_options.batch_items, "Products per request")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, limits::kCatalogBatchItemsMax));

  cli::KeysOptions keys_options;
  auto keys_action = cli::KeysAction::kList;
  AddKeysCommand(&app, &keys_options, &keys_action);

  cli::CostOptions cost_options;
  double target_percent = cost_options.scaling.target_utilization * 100;
  CLI::App* cost = app.add_subcommand(
      "custo", "Monthly DynamoDB cost of a running server's observed traffic, on-demand and "
               "provisioned (reads GET /metrics twice, --janela seconds apart)");
  cost->add_option("--server", cost_options.server, "Base URL of the running server")->required();
  cost->add_option("--key,--token", cost_options.api_key,
                   "API key of role admin or leitura [env ESTOQUE_API_KEY]");
  cost->add_option("--janela", cost_options.window_seconds, "Seconds between the two readings")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cost->add_option("--precos", cost_options.prices_file,
                   "Price table (TOML, like config/precos_dynamodb.toml); default: the built-in "
                   "us-east-1 list prices of that file");
  cost->add_option("--min", cost_options.scaling.min_units,
                   "Provisioned mode: auto scaling's minimum units (RCU and WCU)")
      ->capture_default_str();
  cost->add_option("--max", cost_options.scaling.max_units, "Provisioned mode: auto scaling's maximum units")
      ->capture_default_str();
  cost->add_option("--alvo", target_percent, "Provisioned mode: target utilisation, percent")
      ->capture_default_str();
  cost->add_flag("--json", cost_options.json, "Print JSON instead of the table");

  cli::BackupOptions backup_options;
  CLI::App* backup = app.add_subcommand(
      "backup", "Copy the data of a running server (it keeps serving) into a new backup directory");
  backup->add_option("--server", backup_options.server, "Base URL of the running server")->required();
  backup->add_option("--to", backup_options.to_dir, "The backup directory (new or empty)")->required();
  backup->add_option("--key", backup_options.api_key, "Admin API key [env ESTOQUE_API_KEY]");
  cli::RestoreOptions restore_options;
  CLI::App* restore = app.add_subcommand(
      "restore", "Rebuild a data directory from a backup directory (no server may be running on it)");
  restore->add_option("--from", restore_options.from_dir, "The backup directory (written by estoque backup)")
      ->required();
  restore->add_option("--data", restore_options.data_dir, "The data directory to rebuild (new or empty)")
      ->required();

  try {
    std::vector<std::string> args = WithConfigAndEnvironment(argc, argv, option_names);
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    const std::string command = argc > 1 ? argv[1] : "";
    if (code != 0 && command == "keys") return cli::kKeysExitUsage;
    if (code != 0 && (command == "backup" || command == "restore")) return cli::kBackupExitUsage;
    if (code != 0 && command == "custo") return cli::kCostExitUsage;
    return code;
  }

  if (serve->parsed()) return RunServe(serve_config);
  const char* env_key = std::getenv("ESTOQUE_API_KEY");
  if (load_options.api_key.empty() && env_key != nullptr) load_options.api_key = env_key;
  if (import_options.api_key.empty() && env_key != nullptr) import_options.api_key = env_key;
  if (app.got_subcommand("keys")) {
    if (keys_options.api_key.empty() && env_key != nullptr) keys_options.api_key = env_key;
    return cli::RunKeysCommand(keys_action, keys_options, std::cout, std::cerr);
  }
  if (backup->parsed()) {
    if (backup_options.api_key.empty() && env_key != nullptr) backup_options.api_key = env_key;
    return cli::RunBackupCommand(backup_options, std::cout, std::cerr);
  }
  if (restore->parsed()) return cli::RunRestoreCommand(restore_options, std::cout, std::cerr);
  if (cost->parsed()) {
    if (cost_options.api_key.empty() && env_key != nullptr) cost_options.api_key = env_key;
    cost_options.scaling.target_utilization = target_percent / 100;
    return cli::RunCostCommand(cost_options, std::cout, std::cerr);
  }
  if (import_products->parsed()) {
    return cli::RunImportProducts(import_options, std::cout, std::cerr, isatty(STDERR_FILENO) == 1);
  }
  if (load->parsed()) {
    auto report = load::RunLoad(load_options, std::cerr);
    if (!report.ok()) {
      std::cerr << "estoque load: " << report.status().ToString() << "\n";
      return 2;
    }
    std::cout << load::FormatReport(*report) << std::flush;
    return report->error_responses == 0 ? 0 : 1;
  }
  return 1;
}

}  // namespace estoque::app
