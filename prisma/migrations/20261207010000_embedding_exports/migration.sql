-- CreateEnum
CREATE TYPE "embedding_export_status" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED');

-- CreateTable
CREATE TABLE "embedding_exports" (
    "id" UUID NOT NULL,
    "team_id" UUID NOT NULL,
    "encoder_id" UUID NOT NULL,
    "dataset_id" UUID,
    "status" "embedding_export_status" NOT NULL DEFAULT 'QUEUED',
    "normalize" BOOLEAN NOT NULL DEFAULT false,
    "embedding_dim" INTEGER NOT NULL,
    "processed_images" INTEGER NOT NULL DEFAULT 0,
    "total_images" INTEGER NOT NULL,
    "images_per_second" DOUBLE PRECISION,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "npy_key" VARCHAR(600),
    "npy_bytes" BIGINT,
    "manifest_key" VARCHAR(600),
    "manifest_bytes" BIGINT,
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "embedding_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "embedding_exports_team_id_id_idx" ON "embedding_exports"("team_id", "id");

-- CreateIndex
CREATE INDEX "embedding_exports_team_id_encoder_id_id_idx" ON "embedding_exports"("team_id", "encoder_id", "id");

-- AddForeignKey
ALTER TABLE "embedding_exports" ADD CONSTRAINT "embedding_exports_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "embedding_exports" ADD CONSTRAINT "embedding_exports_encoder_id_fkey" FOREIGN KEY ("encoder_id") REFERENCES "encoders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "embedding_exports" ADD CONSTRAINT "embedding_exports_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE CASCADE;
