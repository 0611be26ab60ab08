CREATE TABLE `makaio_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`title` text,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `makaio_sessions_status_idx` ON `makaio_sessions` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `makaio_sessions_created_at_idx` ON `makaio_sessions` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `makaio_sessions_updated_at_idx` ON `makaio_sessions` (`updated_at`,`id`);