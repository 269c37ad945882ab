{{/* Names and labels. */}}
{{- define "clsa.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "clsa.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "clsa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clsa.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "clsa.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "clsa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "clsa.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "clsa.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository:tag for a component's image values ({repository, tag?}). */}}
{{- define "clsa.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- $tag := $image.tag | default $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- if $root.Values.image.registry -}}
{{- printf "%s/%s:%s" $root.Values.image.registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Secrets: the chart's own, or the ones the operator names. */}}
{{- define "clsa.databaseSecretName" -}}
{{- .Values.database.existingSecret | default (printf "%s-database" (include "clsa.fullname" .)) -}}
{{- end -}}

{{- define "clsa.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecretKey }}{{- else -}}DATABASE_URL{{- end -}}
{{- end -}}

{{- define "clsa.s3SecretName" -}}
{{- .Values.s3.existingSecret | default (printf "%s-s3" (include "clsa.fullname" .)) -}}
{{- end -}}

{{- define "clsa.adminTokenSecretName" -}}
{{- .Values.adminTokenExistingSecret | default (printf "%s-admin-token" (include "clsa.fullname" .)) -}}
{{- end -}}

{{- define "clsa.adminTokenEnabled" -}}
{{- if or .Values.adminToken .Values.adminTokenExistingSecret -}}true{{- end -}}
{{- end -}}

{{/* Refuses values that cannot work, with the reason. */}}
{{- define "clsa.validate" -}}
{{- if and (not .Values.database.url) (not .Values.database.existingSecret) -}}
{{- fail "database.url or database.existingSecret is required: the service needs an external PostgreSQL" -}}
{{- end -}}
{{- if not .Values.s3.endpoint -}}
{{- fail "s3.endpoint is required: the API and workers share an S3-compatible store" -}}
{{- end -}}
{{- if and (not .Values.s3.existingSecret) (or (not .Values.s3.accessKey) (not .Values.s3.secretKey)) -}}
{{- fail "s3.accessKey and s3.secretKey (or s3.existingSecret) are required" -}}
{{- end -}}
{{- if and .Values.adminToken (lt (len .Values.adminToken) 32) -}}
{{- fail "adminToken must be at least 32 characters" -}}
{{- end -}}
{{- $apiBudget := add .Values.api.preStopSleepSeconds (div .Values.api.shutdownGraceMs 1000) 5 -}}
{{- if lt (int .Values.api.terminationGracePeriodSeconds) (int $apiBudget) -}}
{{- fail (printf "api.terminationGracePeriodSeconds (%v) must cover preStopSleepSeconds + shutdownGraceMs/1000 + 5 = %v" .Values.api.terminationGracePeriodSeconds $apiBudget) -}}
{{- end -}}
{{- $names := dict -}}
{{- range .Values.workers -}}
{{- if hasKey $names .name -}}
{{- fail (printf "workers: the pool name %q is used twice" .name) -}}
{{- end -}}
{{- $_ := set $names .name true -}}
{{- if not (has .accelerator (list "CPU" "GPU")) -}}
{{- fail (printf "workers[%s].accelerator must be CPU or GPU, got %v" .name .accelerator) -}}
{{- end -}}
{{- $minGrace := add $.Values.config.jobLeaseSeconds 30 -}}
{{- if lt (int .terminationGracePeriodSeconds) (int $minGrace) -}}
{{- fail (printf "workers[%s].terminationGracePeriodSeconds (%v) must be at least config.jobLeaseSeconds + 30 = %v: on SIGTERM the worker finishes its step (at most one lease), then writes and uploads a checkpoint" .name .terminationGracePeriodSeconds $minGrace) -}}
{{- end -}}
{{- if and (eq .accelerator "GPU") (lt (int (.gpus | default 0)) 1) -}}
{{- fail (printf "workers[%s] is a GPU pool: set gpus to 1 (one job uses one accelerator)" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Environment every process shares: the ConfigMap plus the secrets. */}}
{{- define "clsa.env" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "clsa.databaseSecretName" . }}
      key: {{ include "clsa.databaseSecretKey" . }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "clsa.s3SecretName" . }}
      key: {{ if .Values.s3.existingSecret }}{{ .Values.s3.accessKeyKey }}{{ else }}S3_ACCESS_KEY{{ end }}
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "clsa.s3SecretName" . }}
      key: {{ if .Values.s3.existingSecret }}{{ .Values.s3.secretKeyKey }}{{ else }}S3_SECRET_KEY{{ end }}
{{- end -}}

{{/* Writable folders under a read-only root filesystem. */}}
{{- define "clsa.tmpVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ . }}
- name: state
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "clsa.tmpVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: state
  mountPath: /var/lib/clsa
{{- end -}}

{{/* Rolls the pods when configuration or chart-made secrets change. */}}
{{- define "clsa.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secrets: {{ include (print .Template.BasePath "/secrets.yaml") . | sha256sum }}
{{- end -}}
