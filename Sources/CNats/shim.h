#pragma once
// The NATS C client (libnats-dev), maintained by the NATS authors: shm-bridge speaks NATS and
// JetStream only through it.
#include <nats/nats.h>
