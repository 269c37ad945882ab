-- CreateEnum
CREATE TYPE "job_status" AS ENUM ('QUEUED', 'RUNNING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "accelerator" AS ENUM ('CPU', 'GPU');

-- CreateEnum
CREATE TYPE "attempt_status" AS ENUM ('RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST', 'RELEASED');

-- CreateEnum
CREATE TYPE "evaluation_kind" AS ENUM ('KNN', 'LINEAR');

-- CreateEnum
CREATE TYPE "evaluation_status" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "dataset_id" UUID,
    "name" VARCHAR(200),
    "status" "job_status" NOT NULL DEFAULT 'QUEUED',
    "preset" VARCHAR(64),
    "config" JSONB NOT NULL,
    "lineage" JSONB NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "accelerator" "accelerator" NOT NULL,
    "checkpoint_every" INTEGER NOT NULL,
    "max_attempts" INTEGER NOT NULL,
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "idempotency_key" VARCHAR(200),
    "request_hash" CHAR(64),
    "step" INTEGER NOT NULL DEFAULT 0,
    "total_steps" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "latest_metrics" JSONB,
    "backend" VARCHAR(64),
    "worker_id" UUID,
    "failure_reason" TEXT,
    "heartbeat_at" TIMESTAMPTZ(3),
    "cancel_requested_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_attempts" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "worker_id" UUID NOT NULL,
    "status" "attempt_status" NOT NULL DEFAULT 'RUNNING',
    "backend" VARCHAR(64),
    "start_step" INTEGER NOT NULL,
    "end_step" INTEGER,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "job_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_events" (
    "id" BIGSERIAL NOT NULL,
    "team_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "message" VARCHAR(2000) NOT NULL,
    "data" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_metrics" (
    "job_id" UUID NOT NULL,
    "step" INTEGER NOT NULL,
    "attempt" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "loss_contrastive" DOUBLE PRECISION NOT NULL,
    "loss_ddm" DOUBLE PRECISION NOT NULL,
    "top1" DOUBLE PRECISION NOT NULL,
    "learning_rate" DOUBLE PRECISION NOT NULL,
    "images_per_second" DOUBLE PRECISION NOT NULL,
    "data_wait_fraction" DOUBLE PRECISION NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_metrics_pkey" PRIMARY KEY ("job_id","step")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "epoch" INTEGER NOT NULL,
    "object_key" VARCHAR(600) NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workers" (
    "id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "accelerator" "accelerator" NOT NULL,
    "backend" VARCHAR(64) NOT NULL,
    "memory_bytes" BIGINT NOT NULL,
    "hostname" VARCHAR(255) NOT NULL,
    "pid" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stopped_at" TIMESTAMPTZ(3),

    CONSTRAINT "workers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "encoders" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "job_id" UUID,
    "dataset_id" UUID,
    "name" VARCHAR(200) NOT NULL,
    "architecture" VARCHAR(64) NOT NULL,
    "embedding_dim" INTEGER NOT NULL,
    "input_size" INTEGER NOT NULL,
    "normalisation" JSONB NOT NULL,
    "lineage" JSONB NOT NULL,
    "object_key" VARCHAR(600) NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "encoders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evaluations" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "encoder_id" UUID NOT NULL,
    "dataset_id" UUID,
    "kind" "evaluation_kind" NOT NULL,
    "status" "evaluation_status" NOT NULL DEFAULT 'QUEUED',
    "settings" JSONB NOT NULL,
    "top1" DOUBLE PRECISION,
    "result" JSONB,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "evaluations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "jobs_team_id_idempotency_key_key" ON "jobs"("team_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "jobs_team_id_status_id_idx" ON "jobs"("team_id", "status", "id");

-- CreateIndex
CREATE INDEX "jobs_team_id_dataset_id_idx" ON "jobs"("team_id", "dataset_id");

-- CreateIndex
CREATE INDEX "jobs_status_heartbeat_at_idx" ON "jobs"("status", "heartbeat_at");

-- CreateIndex
CREATE UNIQUE INDEX "job_attempts_job_id_number_key" ON "job_attempts"("job_id", "number");

-- CreateIndex
CREATE INDEX "job_events_job_id_id_idx" ON "job_events"("job_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoints_job_id_step_key" ON "checkpoints"("job_id", "step");

-- CreateIndex
CREATE INDEX "workers_heartbeat_at_idx" ON "workers"("heartbeat_at");

-- CreateIndex
CREATE UNIQUE INDEX "encoders_job_id_key" ON "encoders"("job_id");

-- CreateIndex
CREATE INDEX "encoders_team_id_id_idx" ON "encoders"("team_id", "id");

-- CreateIndex
CREATE INDEX "evaluations_team_id_encoder_id_idx" ON "evaluations"("team_id", "encoder_id");

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_attempts" ADD CONSTRAINT "job_attempts_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_events" ADD CONSTRAINT "job_events_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_metrics" ADD CONSTRAINT "job_metrics_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "encoders" ADD CONSTRAINT "encoders_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "encoders" ADD CONSTRAINT "encoders_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "encoders" ADD CONSTRAINT "encoders_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_encoder_id_fkey" FOREIGN KEY ("encoder_id") REFERENCES "encoders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evaluations" ADD CONSTRAINT "evaluations_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE CASCADE;
