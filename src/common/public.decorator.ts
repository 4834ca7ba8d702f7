import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'piragua:public';

/** Opts a route out of the global Heketi JWT guard (Heketi serves /hello and /metrics without auth). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
