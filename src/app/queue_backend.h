// QueueBackend: the queue and dead-letter queue `estoque serve` runs with, as --queue chose:
// embedded (RocksDB, in the data directory) or SQS (docs/AWS.md). The only place that knows
// which queue backends exist.
#pragma once

#include <memory>
#include <string>

#include "app/serve_config.h"
#include "aws/sqs_client.h"
#include "common/result.h"
#include "queue/dead_letter_queue.h"
#include "queue/message_queue.h"
#include "store/rocksdb_engine.h"

namespace estoque::app {

struct QueueBackend {
  // Declared first so that it is destroyed last: the SQS queues use it.
  std::unique_ptr<aws::sqs::SqsClient> sqs_client;
  std::unique_ptr<queue::MessageQueue> queue;
  // Null when there is none (--queue sqs without --sqs-dlq-url): the worker then retries a
  // poison message, and GET /v1/fila/dlq answers that there are no dead letters to manage.
  std::unique_ptr<queue::DeadLetterQueue> dead_letters;
  // Embedded: a clean stop applies what was accepted first (its messages live on this node). SQS:
  // what is waiting stays in SQS for any node.
  bool drain_on_shutdown = true;
  std::string description;  // for the start log: "embedded", "sqs <url>"
};

// Opens the backend `config.queue` names. For sqs: resolves region, endpoint and credentials from
// the AWS chains, checks both queues exist, and refuses (InvalidArgument) a data directory whose
// embedded queue still holds accepted, unapplied messages, which an SQS node would never apply.
// Errors as the backend's Open, naming what failed. `queue_engine`: the embedded queue's own
// database (store::EngineLayout::kQueue); it must outlive the backend. The embedded queue deletes
// a message's row when the worker acknowledges it, after the store's apply is durable.
Result<QueueBackend> OpenQueueBackend(const ServeConfig& config, store::RocksEngine* queue_engine);

}  // namespace estoque::app
