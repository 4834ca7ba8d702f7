import { SetMetadata } from '@nestjs/common';

export const USER_ALLOWED_KEY = 'piragua:user-allowed';

/** Marks the only routes Heketi lets the `user` issuer call: `GET /volumes` and `POST /volumes`. */
export const UserAllowed = () => SetMetadata(USER_ALLOWED_KEY, true);
