/** The admin API's bodies: written once in shared/admin/api.ts, with the server; the panel imports them from here. */
export * from '../../../shared/admin/api.ts';
