/**
 * The desktop app's 42 migrations, verbatim (name and SQL), from armconsol/tftsr-devops_investigation at d1705898
 * (src-tauri/src/db/migrations.rs). The fixture builder runs them as the app's runner does.
 */
export const DESKTOP_MIGRATIONS: readonly (readonly [string, string])[] = [
  [
    '001_create_issues',
    `CREATE TABLE IF NOT EXISTS issues (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                severity TEXT NOT NULL DEFAULT 'medium',
                status TEXT NOT NULL DEFAULT 'open',
                category TEXT NOT NULL DEFAULT 'general',
                source TEXT NOT NULL DEFAULT 'manual',
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now')),
                resolved_at TEXT,
                assigned_to TEXT NOT NULL DEFAULT '',
                tags TEXT NOT NULL DEFAULT '[]'
            );`,
  ],
  [
    '002_create_log_files',
    `CREATE TABLE IF NOT EXISTS log_files (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                file_name TEXT NOT NULL,
                file_path TEXT NOT NULL DEFAULT '',
                file_size INTEGER NOT NULL DEFAULT 0,
                mime_type TEXT NOT NULL DEFAULT 'text/plain',
                content_hash TEXT NOT NULL DEFAULT '',
                uploaded_at TEXT NOT NULL DEFAULT (datetime('now')),
                redacted INTEGER NOT NULL DEFAULT 0
            );`,
  ],
  [
    '003_create_pii_spans',
    `CREATE TABLE IF NOT EXISTS pii_spans (
                id TEXT PRIMARY KEY,
                log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
                pii_type TEXT NOT NULL,
                start_offset INTEGER NOT NULL,
                end_offset INTEGER NOT NULL,
                original_value TEXT NOT NULL,
                replacement TEXT NOT NULL
            );`,
  ],
  [
    '004_create_ai_conversations',
    `CREATE TABLE IF NOT EXISTS ai_conversations (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                title TEXT NOT NULL DEFAULT 'Untitled'
            );`,
  ],
  [
    '005_create_ai_messages',
    `CREATE TABLE IF NOT EXISTS ai_messages (
                id TEXT PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES ai_conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK(role IN ('system','user','assistant')),
                content TEXT NOT NULL,
                token_count INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  [
    '006_create_resolution_steps',
    `CREATE TABLE IF NOT EXISTS resolution_steps (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                step_order INTEGER NOT NULL DEFAULT 0,
                why_question TEXT NOT NULL DEFAULT '',
                answer TEXT NOT NULL DEFAULT '',
                evidence TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  [
    '007_create_documents',
    `CREATE TABLE IF NOT EXISTS documents (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                doc_type TEXT NOT NULL,
                title TEXT NOT NULL,
                content_md TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );`,
  ],
  [
    '008_create_audit_log',
    `CREATE TABLE IF NOT EXISTS audit_log (
                id TEXT PRIMARY KEY,
                timestamp TEXT NOT NULL DEFAULT (datetime('now')),
                action TEXT NOT NULL,
                entity_type TEXT NOT NULL DEFAULT '',
                entity_id TEXT NOT NULL DEFAULT '',
                user_id TEXT NOT NULL DEFAULT 'local',
                details TEXT NOT NULL DEFAULT '{}'
            );`,
  ],
  [
    '009_create_settings',
    `CREATE TABLE IF NOT EXISTS settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL DEFAULT '',
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  [
    '010_issues_fts',
    `CREATE VIRTUAL TABLE IF NOT EXISTS issues_fts USING fts5(
                id UNINDEXED, title, description,
                content='issues', content_rowid='rowid'
            );`,
  ],
  [
    '011_create_integrations',
    `CREATE TABLE IF NOT EXISTS credentials (
                id TEXT PRIMARY KEY,
                service TEXT NOT NULL CHECK(service IN ('confluence','servicenow','azuredevops')),
                token_hash TEXT NOT NULL,
                encrypted_token TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                expires_at TEXT,
                UNIQUE(service)
            );
            CREATE TABLE IF NOT EXISTS integration_config (
                id TEXT PRIMARY KEY,
                service TEXT NOT NULL CHECK(service IN ('confluence','servicenow','azuredevops')),
                base_url TEXT NOT NULL,
                username TEXT,
                project_name TEXT,
                space_key TEXT,
                auto_create_enabled INTEGER NOT NULL DEFAULT 0,
                updated_at TEXT NOT NULL DEFAULT (datetime('now')),
                UNIQUE(service)
            );`,
  ],
  [
    '012_audit_hash_chain',
    `ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
             ALTER TABLE audit_log ADD COLUMN entry_hash TEXT NOT NULL DEFAULT '';`,
  ],
  [
    '013_image_attachments',
    `CREATE TABLE IF NOT EXISTS image_attachments (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
                file_name TEXT NOT NULL,
                file_path TEXT NOT NULL DEFAULT '',
                file_size INTEGER NOT NULL DEFAULT 0,
                mime_type TEXT NOT NULL DEFAULT 'image/png',
                upload_hash TEXT NOT NULL DEFAULT '',
                uploaded_at TEXT NOT NULL DEFAULT (datetime('now')),
                pii_warning_acknowledged INTEGER NOT NULL DEFAULT 1,
                is_paste INTEGER NOT NULL DEFAULT 0
            );`,
  ],
  [
    '014_create_ai_providers',
    `CREATE TABLE IF NOT EXISTS ai_providers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                provider_type TEXT NOT NULL,
                api_url TEXT NOT NULL,
                encrypted_api_key TEXT NOT NULL,
                model TEXT NOT NULL,
                max_tokens INTEGER,
                temperature REAL,
                custom_endpoint_path TEXT,
                custom_auth_header TEXT,
                custom_auth_prefix TEXT,
                api_format TEXT,
                user_id TEXT,
                use_datastore_upload INTEGER,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  ['015_add_use_datastore_upload', `ALTER TABLE ai_providers ADD COLUMN use_datastore_upload INTEGER DEFAULT 0`],
  ['016_add_created_at', `ALTER TABLE ai_providers ADD COLUMN created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))`],
  [
    '017_create_timeline_events',
    `CREATE TABLE IF NOT EXISTS timeline_events (
                id TEXT PRIMARY KEY,
                issue_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                description TEXT NOT NULL DEFAULT '',
                metadata TEXT NOT NULL DEFAULT '{}',
                created_at TEXT NOT NULL,
                FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE
            );
            CREATE INDEX idx_timeline_events_issue ON timeline_events(issue_id);
            CREATE INDEX idx_timeline_events_time ON timeline_events(created_at);`,
  ],
  [
    '018_mcp_servers',
    `CREATE TABLE IF NOT EXISTS mcp_servers (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                url TEXT NOT NULL,
                transport_type TEXT NOT NULL CHECK(transport_type IN ('stdio', 'http')),
                transport_config TEXT NOT NULL DEFAULT '{}',
                auth_type TEXT NOT NULL CHECK(auth_type IN ('none', 'api_key', 'bearer', 'oauth2')),
                auth_value TEXT,
                enabled INTEGER NOT NULL DEFAULT 1,
                last_discovered_at TEXT,
                discovery_status TEXT NOT NULL DEFAULT 'pending'
                    CHECK(discovery_status IN ('pending','connected','unreachable','error')),
                discovery_error TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );
            CREATE TABLE IF NOT EXISTS mcp_tools (
                id TEXT PRIMARY KEY,
                server_id TEXT NOT NULL,
                name TEXT NOT NULL,
                tool_key TEXT NOT NULL,
                description TEXT,
                parameters TEXT NOT NULL DEFAULT '{}',
                FOREIGN KEY(server_id) REFERENCES mcp_servers(id) ON DELETE CASCADE
            );
            CREATE TABLE IF NOT EXISTS mcp_resources (
                id TEXT PRIMARY KEY,
                server_id TEXT NOT NULL,
                uri TEXT NOT NULL,
                name TEXT,
                description TEXT,
                FOREIGN KEY(server_id) REFERENCES mcp_servers(id) ON DELETE CASCADE
            );`,
  ],
  [
    '019_create_sudo_config',
    `CREATE TABLE IF NOT EXISTS sudo_config (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL DEFAULT '',
                encrypted_password TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  ['020_add_log_content_compressed', `ALTER TABLE log_files ADD COLUMN content_compressed BLOB`],
  ['021_add_image_data', `ALTER TABLE image_attachments ADD COLUMN image_data BLOB`],
  [
    '022_attachment_views',
    `CREATE VIEW IF NOT EXISTS v_log_files_with_issue AS
                SELECT lf.id, lf.issue_id, lf.file_name, lf.file_path, lf.file_size,
                       lf.mime_type, lf.content_hash, lf.uploaded_at, lf.redacted,
                       i.title AS issue_title
                FROM log_files lf
                JOIN issues i ON i.id = lf.issue_id;
             CREATE VIEW IF NOT EXISTS v_image_attachments_with_issue AS
                SELECT ia.id, ia.issue_id, ia.file_name, ia.file_path, ia.file_size,
                       ia.mime_type, ia.upload_hash, ia.uploaded_at,
                       ia.pii_warning_acknowledged, ia.is_paste,
                       i.title AS issue_title
                FROM image_attachments ia
                JOIN issues i ON i.id = ia.issue_id;`,
  ],
  ['023_add_mcp_env_config', `ALTER TABLE mcp_servers ADD COLUMN env_config TEXT`],
  [
    '024_create_shell_commands',
    `CREATE TABLE IF NOT EXISTS shell_commands (
                id TEXT PRIMARY KEY,
                command_template TEXT NOT NULL,
                tier INTEGER NOT NULL CHECK(tier IN (1, 2, 3)),
                description TEXT,
                category TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now'))
            );

            INSERT INTO shell_commands (id, command_template, tier, description, category) VALUES
            ('kubectl_get', 'kubectl get', 1, 'Read Kubernetes resources', 'kubectl'),
            ('kubectl_describe', 'kubectl describe', 1, 'Describe Kubernetes resources', 'kubectl'),
            ('kubectl_logs', 'kubectl logs', 1, 'View pod logs', 'kubectl'),
            ('kubectl_apply', 'kubectl apply', 2, 'Apply configuration', 'kubectl'),
            ('kubectl_delete', 'kubectl delete', 2, 'Delete resources', 'kubectl'),
            ('pvecm_status', 'pvecm status', 1, 'Check Proxmox cluster status', 'proxmox'),
            ('qm_status', 'qm status', 1, 'Check VM status', 'proxmox');`,
  ],
  [
    '025_create_kubeconfig_files',
    `CREATE TABLE IF NOT EXISTS kubeconfig_files (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                encrypted_content TEXT NOT NULL,
                context TEXT NOT NULL,
                cluster_url TEXT,
                is_active INTEGER NOT NULL DEFAULT 0,
                uploaded_at TEXT NOT NULL DEFAULT (datetime('now'))
            );

            CREATE INDEX IF NOT EXISTS idx_kubeconfig_active ON kubeconfig_files(is_active);`,
  ],
  [
    '026_create_command_executions',
    `CREATE TABLE IF NOT EXISTS command_executions (
                id TEXT PRIMARY KEY,
                issue_id TEXT,
                command TEXT NOT NULL,
                tier INTEGER NOT NULL,
                approval_status TEXT NOT NULL,
                kubeconfig_id TEXT,
                exit_code INTEGER,
                stdout TEXT,
                stderr TEXT,
                execution_time_ms INTEGER,
                executed_at TEXT NOT NULL DEFAULT (datetime('now')),
                FOREIGN KEY (issue_id) REFERENCES issues(id) ON DELETE CASCADE,
                FOREIGN KEY (kubeconfig_id) REFERENCES kubeconfig_files(id) ON DELETE SET NULL
            );

            CREATE INDEX IF NOT EXISTS idx_command_executions_issue ON command_executions(issue_id);
            CREATE INDEX IF NOT EXISTS idx_command_executions_executed ON command_executions(executed_at);`,
  ],
  [
    '027_create_approval_decisions',
    `CREATE TABLE IF NOT EXISTS approval_decisions (
                id TEXT PRIMARY KEY,
                command_pattern TEXT NOT NULL,
                decision TEXT NOT NULL CHECK(decision IN ('allow_once', 'allow_session', 'deny')),
                session_id TEXT,
                decided_at TEXT NOT NULL DEFAULT (datetime('now')),
                expires_at TEXT
            );

            CREATE INDEX IF NOT EXISTS idx_approval_decisions_session ON approval_decisions(session_id);`,
  ],
  [
    '028_add_supports_tool_calling',
    `ALTER TABLE ai_providers ADD COLUMN supports_tool_calling INTEGER DEFAULT 1;
             -- Default to true for existing providers to maintain backward compatibility`,
  ],
  [
    '029_create_clusters',
    `CREATE TABLE IF NOT EXISTS clusters (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                context TEXT NOT NULL,
                server_url TEXT,
                kubeconfig_content TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );
            CREATE INDEX IF NOT EXISTS idx_clusters_name ON clusters(name);
            CREATE INDEX IF NOT EXISTS idx_clusters_context ON clusters(context);`,
  ],
  [
    '030_create_port_forwards',
    `CREATE TABLE IF NOT EXISTS port_forwards (
                id TEXT PRIMARY KEY,
                cluster_id TEXT NOT NULL,
                namespace TEXT NOT NULL,
                pod TEXT NOT NULL,
                container TEXT,
                ports TEXT NOT NULL,
                local_ports TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'active' CHECK(status IN ('active', 'stopped', 'error')),
                error_message TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now')),
                FOREIGN KEY (cluster_id) REFERENCES clusters(id) ON DELETE CASCADE
            );
            CREATE INDEX IF NOT EXISTS idx_port_forwards_cluster ON port_forwards(cluster_id);
            CREATE INDEX IF NOT EXISTS idx_port_forwards_status ON port_forwards(status);
            CREATE INDEX IF NOT EXISTS idx_port_forwards_namespace ON port_forwards(namespace);`,
  ],
  [
    '031_create_proxmox_clusters',
    `CREATE TABLE IF NOT EXISTS proxmox_clusters (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                cluster_type TEXT NOT NULL CHECK(cluster_type IN ('ve', 'pbs')),
                url TEXT NOT NULL,
                port INTEGER NOT NULL DEFAULT 8006,
                auth_method TEXT NOT NULL DEFAULT 'root',
                encrypted_credentials TEXT NOT NULL,
                ssl_fingerprint TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );
            CREATE INDEX IF NOT EXISTS idx_proxmox_clusters_name ON proxmox_clusters(name);
            CREATE INDEX IF NOT EXISTS idx_proxmox_clusters_type ON proxmox_clusters(cluster_type);`,
  ],
  [
    '032_create_proxmox_resources',
    `CREATE TABLE IF NOT EXISTS proxmox_resources (
                id TEXT PRIMARY KEY,
                cluster_id TEXT NOT NULL REFERENCES proxmox_clusters(id) ON DELETE CASCADE,
                resource_type TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                resource_data TEXT NOT NULL DEFAULT '{}',
                last_updated TEXT NOT NULL DEFAULT (datetime('now')),
                UNIQUE(cluster_id, resource_type, resource_id)
            );
            CREATE INDEX IF NOT EXISTS idx_proxmox_resources_cluster ON proxmox_resources(cluster_id);
            CREATE INDEX IF NOT EXISTS idx_proxmox_resources_type ON proxmox_resources(resource_type);
            CREATE INDEX IF NOT EXISTS idx_proxmox_resources_updated ON proxmox_resources(last_updated);`,
  ],
  [
    '033_cleanup_old_dummy_data',
    `DELETE FROM proxmox_clusters WHERE name LIKE '%example%' OR name LIKE '%test%' OR name LIKE '%dummy%' OR name LIKE '%sample%';
            DELETE FROM proxmox_resources WHERE cluster_id IN (
                SELECT id FROM proxmox_clusters WHERE name LIKE '%example%' OR name LIKE '%test%' OR name LIKE '%dummy%' OR name LIKE '%sample%'
            );`,
  ],
  ['034_add_proxmox_username_column', `ALTER TABLE proxmox_clusters ADD COLUMN username TEXT NOT NULL DEFAULT '';`],
  [
    '035_create_remote_connections',
    `CREATE TABLE IF NOT EXISTS remote_connections (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                protocol TEXT NOT NULL CHECK(protocol IN ('rdp', 'vnc')),
                hostname TEXT NOT NULL,
                port INTEGER NOT NULL DEFAULT 3389,
                username TEXT,
                password_encrypted TEXT NOT NULL,
                domain TEXT,
                resolution TEXT NOT NULL DEFAULT '1280x800',
                color_depth INTEGER NOT NULL DEFAULT 32,
                clipboard_sync INTEGER NOT NULL DEFAULT 1,
                drive_redirect INTEGER NOT NULL DEFAULT 0,
                multi_monitor INTEGER NOT NULL DEFAULT 0,
                compression INTEGER NOT NULL DEFAULT 1,
                quality INTEGER NOT NULL DEFAULT 80,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now')),
                last_connected_at TEXT
            );
            CREATE INDEX IF NOT EXISTS idx_remote_connections_protocol ON remote_connections(protocol);
            CREATE INDEX IF NOT EXISTS idx_remote_connections_last_connected ON remote_connections(last_connected_at);`,
  ],
  [
    '036_create_remote_credentials',
    `CREATE TABLE IF NOT EXISTS remote_credentials (
                id TEXT PRIMARY KEY,
                connection_id TEXT NOT NULL REFERENCES remote_connections(id) ON DELETE CASCADE,
                rdp_password_encrypted TEXT,
                ssh_password_encrypted TEXT,
                ssh_key_encrypted TEXT,
                ssh_key_passphrase_encrypted TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now')),
                UNIQUE(connection_id)
            );`,
  ],
  [
    '037_create_ssh_credentials',
    `CREATE TABLE IF NOT EXISTS ssh_credentials (
                key_id TEXT PRIMARY KEY,
                encrypted_data TEXT NOT NULL,
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );`,
  ],
  [
    '038_create_database_connections',
    `CREATE TABLE IF NOT EXISTS database_connections (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                db_type TEXT NOT NULL,
                host TEXT NOT NULL,
                port INTEGER NOT NULL,
                database_name TEXT,
                username TEXT,
                encrypted_password TEXT,
                ssl_enabled INTEGER DEFAULT 0,
                ssl_ca_cert_path TEXT,
                ssl_client_cert_path TEXT,
                ssl_client_key_path TEXT,
                connection_options TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                updated_at TEXT NOT NULL DEFAULT (datetime('now'))
            );
            CREATE INDEX IF NOT EXISTS idx_db_connections_type ON database_connections(db_type);`,
  ],
  [
    '039_create_query_history',
    `CREATE TABLE IF NOT EXISTS query_history (
                id TEXT PRIMARY KEY,
                connection_id TEXT NOT NULL,
                query_text TEXT NOT NULL,
                row_count INTEGER,
                execution_time_ms INTEGER,
                status TEXT NOT NULL,
                error_message TEXT,
                executed_at TEXT NOT NULL DEFAULT (datetime('now')),
                FOREIGN KEY (connection_id) REFERENCES database_connections(id) ON DELETE CASCADE
            );
            CREATE INDEX IF NOT EXISTS idx_query_history_connection ON query_history(connection_id);
            CREATE INDEX IF NOT EXISTS idx_query_history_executed ON query_history(executed_at DESC);`,
  ],
  [
    '040_create_query_bookmarks',
    `CREATE TABLE IF NOT EXISTS query_bookmarks (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                query_text TEXT NOT NULL,
                connection_id TEXT,
                tags TEXT,
                description TEXT,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                FOREIGN KEY (connection_id) REFERENCES database_connections(id) ON DELETE SET NULL
            );
            CREATE INDEX IF NOT EXISTS idx_query_bookmarks_connection ON query_bookmarks(connection_id);`,
  ],
  [
    '041_add_database_ssh_tunnel_columns',
    `ALTER TABLE database_connections ADD COLUMN ssh_enabled INTEGER DEFAULT 0;
             ALTER TABLE database_connections ADD COLUMN ssh_hostname TEXT;
             ALTER TABLE database_connections ADD COLUMN ssh_port INTEGER;
             ALTER TABLE database_connections ADD COLUMN ssh_username TEXT;
             ALTER TABLE database_connections ADD COLUMN ssh_auth_method TEXT;`,
  ],
  [
    '042_add_database_ssh_credential_columns',
    `ALTER TABLE database_connections ADD COLUMN ssh_password_encrypted TEXT;
             ALTER TABLE database_connections ADD COLUMN ssh_private_key_encrypted TEXT;
             ALTER TABLE database_connections ADD COLUMN ssh_key_passphrase_encrypted TEXT;`,
  ],
];
