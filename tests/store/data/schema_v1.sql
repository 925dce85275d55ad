-- hiprom store schema version 1 (SQLite), frozen for the migration test.
-- Made by hiprom 0.1.0 before the 'landmarks' table (version 2) existed.
CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_utc DATETIME NOT NULL, 
	hiprom_version VARCHAR(40) NOT NULL, 
	PRIMARY KEY (version)
);
CREATE TABLE subjects (
	id INTEGER NOT NULL, 
	pseudonym VARCHAR(64) NOT NULL, 
	name VARCHAR(200), 
	date_of_birth DATE, 
	notes TEXT, 
	created_utc DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (pseudonym)
);
CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	subject_id INTEGER, 
	recorded_utc DATETIME NOT NULL, 
	saved_utc DATETIME NOT NULL, 
	operator VARCHAR(200), 
	notes TEXT, 
	source VARCHAR(500), 
	camera VARCHAR(200), 
	model VARCHAR(200), 
	fps FLOAT, 
	frames INTEGER, 
	duration_s FLOAT, 
	mirrored BOOLEAN NOT NULL, 
	hiprom_version VARCHAR(40), 
	analysis_schema VARCHAR(40) NOT NULL, 
	settings_json TEXT NOT NULL, 
	norms_json TEXT NOT NULL, 
	norm_deg FLOAT, 
	measurable BOOLEAN NOT NULL, 
	not_measurable_reason TEXT, 
	left_ir_deg FLOAT, 
	left_er_deg FLOAT, 
	left_arc_deg FLOAT, 
	right_ir_deg FLOAT, 
	right_er_deg FLOAT, 
	right_arc_deg FLOAT, 
	asymmetry_arc_deg FLOAT, 
	asymmetry_flagged BOOLEAN NOT NULL, 
	analysis_json TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(subject_id) REFERENCES subjects (id) ON DELETE CASCADE
);
CREATE INDEX ix_sessions_subject_recorded ON sessions (subject_id, recorded_utc);
CREATE TABLE trials (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	side VARCHAR(8) NOT NULL, 
	direction VARCHAR(10) NOT NULL, 
	peak_deg FLOAT, 
	peak_unc_deg FLOAT, 
	peak_t_s FLOAT, 
	start_s FLOAT, 
	end_s FLOAT, 
	hold_s FLOAT, 
	valid BOOLEAN NOT NULL, 
	flags_json TEXT NOT NULL, 
	method VARCHAR(20), 
	PRIMARY KEY (id), 
	FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX ix_trials_session_id ON trials (session_id);
CREATE TABLE series (
	session_id INTEGER NOT NULL, 
	encoding VARCHAR(20) NOT NULL, 
	n_frames INTEGER NOT NULL, 
	data BLOB NOT NULL, 
	PRIMARY KEY (session_id), 
	FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
);
INSERT INTO schema_version (version, applied_utc, hiprom_version) VALUES (1, '2026-01-01 00:00:00.000000', '0.1.0');
