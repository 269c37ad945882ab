-- CreateEnum
CREATE TYPE "dataset_status" AS ENUM ('UPLOADING', 'VALIDATING', 'READY', 'FAILED');

-- CreateEnum
CREATE TYPE "dataset_layout" AS ENUM ('IMAGEFOLDER', 'WEBDATASET');

-- CreateEnum
CREATE TYPE "archive_status" AS ENUM ('UPLOADING', 'UPLOADED', 'ABORTED');

-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "description" VARCHAR(2000),
    "layout" "dataset_layout" NOT NULL,
    "status" "dataset_status" NOT NULL DEFAULT 'UPLOADING',
    "object_prefix" VARCHAR(300) NOT NULL,
    "size_bytes" BIGINT NOT NULL DEFAULT 0,
    "image_count" INTEGER,
    "rejected_count" INTEGER,
    "labels" TEXT[],
    "summary" JSONB,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "ready_at" TIMESTAMPTZ(3),

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset_archives" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "file_name" VARCHAR(255) NOT NULL,
    "object_key" VARCHAR(600) NOT NULL,
    "status" "archive_status" NOT NULL DEFAULT 'UPLOADING',
    "size_bytes" BIGINT,
    "expected_sha256" CHAR(64),
    "sha256" CHAR(64),
    "multipart_upload_id" VARCHAR(1024),
    "part_size_bytes" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "uploaded_at" TIMESTAMPTZ(3),

    CONSTRAINT "dataset_archives_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset_events" (
    "id" BIGSERIAL NOT NULL,
    "team_id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "type" VARCHAR(64) NOT NULL,
    "message" VARCHAR(2000) NOT NULL,
    "data" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dataset_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rejected_files" (
    "id" BIGSERIAL NOT NULL,
    "team_id" UUID NOT NULL,
    "dataset_id" UUID NOT NULL,
    "archive" VARCHAR(255) NOT NULL,
    "path" VARCHAR(4096) NOT NULL,
    "reason" VARCHAR(1000) NOT NULL,

    CONSTRAINT "rejected_files_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "datasets_team_id_name_key" ON "datasets"("team_id", "name");

-- CreateIndex
CREATE INDEX "datasets_team_id_status_id_idx" ON "datasets"("team_id", "status", "id");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_archives_dataset_id_file_name_key" ON "dataset_archives"("dataset_id", "file_name");

-- CreateIndex
CREATE INDEX "dataset_archives_status_expires_at_idx" ON "dataset_archives"("status", "expires_at");

-- CreateIndex
CREATE INDEX "dataset_events_dataset_id_id_idx" ON "dataset_events"("dataset_id", "id");

-- CreateIndex
CREATE INDEX "rejected_files_dataset_id_id_idx" ON "rejected_files"("dataset_id", "id");

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_archives" ADD CONSTRAINT "dataset_archives_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_events" ADD CONSTRAINT "dataset_events_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rejected_files" ADD CONSTRAINT "rejected_files_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;
