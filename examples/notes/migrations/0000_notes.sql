CREATE TABLE `example_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`text` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `makaio_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `example_notes_session_idx` ON `example_notes` (`session_id`,`id`);--> statement-breakpoint
CREATE INDEX `example_notes_created_at_idx` ON `example_notes` (`created_at`,`id`);