/** The Nest injection token for the shared connection (see database.module.ts). */
export const DB = Symbol('TFTSR_DB');
